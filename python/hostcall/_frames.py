"""Writing request frames and reading response frames (PROTOCOL.md 3-5)."""

import base64
import json
import re

from ._scan import ObjectScan

MAX_UINT64 = (1 << 64) - 1
_INT64 = (-(1 << 63), (1 << 63) - 1)


def _default(v):
    """JSON for what json cannot encode itself: bytes travel as base64."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    raise TypeError("%s value %r cannot travel as JSON" % (type(v).__name__, v))


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default)


def dumps(v):
    """Compact JSON of v, bytes anywhere in it as base64."""
    return _encoder.encode(v)


def encode_args(args, min_blob):
    """The JSON of a call's args and the blobs it names.

    A top-level bytes argument of at least min_blob bytes travels as a blob
    (min_blob < 0: none do); other bytes travel as base64.
    """
    parts, blobs = [], []
    for a in args:
        if min_blob >= 0 and isinstance(a, (bytes, bytearray, memoryview)) and len(a) >= min_blob:
            parts.append(str(len(blobs)))
            blobs.append(bytes(a))
        else:
            parts.append(dumps(a))
    return "[" + ",".join(parts) + "]", blobs


def request(seq, typ, namespace=None, name=None, args_json=None, timeout=None, blobs=None, callback=None):
    """One request frame, sequence first, newline-terminated, as bytes."""
    out = ['{"sequence":%d,"type":%s' % (seq, dumps(typ))]
    if callback is not None:
        out.append(',"callback":%d' % callback)
    if namespace is not None:
        out.append(',"namespace":' + dumps(namespace))
    if name is not None:
        out.append(',"name":' + dumps(name))
    if args_json is not None:
        out.append(',"args":' + args_json)
    if timeout is not None:
        out.append(',"timeout":%d' % timeout)
    if blobs:
        out.append(',"blobs":[' + ",".join(str(len(b)) for b in blobs) + "]")
    out.append("}\n")
    return "".join(out).encode("utf-8")


def response(seq, error=None, code=None, reply_json=None, ok=False, services=None, detail_json=None, blobs=None, more=False):
    """One response frame (an answer to the host's request), sequence
    first, then more (a stream's opening frame and items) and the blobs'
    lengths, as the Go end writes them."""
    out = ['{"sequence":%d' % seq]
    if more:
        out.append(',"more":true')
    if blobs:
        out.append(',"blobs":[' + ",".join(str(len(b)) for b in blobs) + "]")
    if reply_json is not None:
        out.append(',"reply":' + reply_json)
    if services:
        out.append(',"services":' + dumps(list(services)))
    if ok:
        out.append(',"ok":true')
    if error is not None:
        out.append(',"error":' + dumps(error))
    if code is not None:
        out.append(',"code":' + dumps(code))
    if detail_json is not None:
        out.append(',"detail":' + detail_json)
    out.append("}\n")
    return "".join(out).encode("utf-8")


class BadFrame(ValueError):
    """A frame that is not a valid response or request."""


def _is_uint(v):
    return type(v) is int and 0 <= v <= MAX_UINT64


def parse(data):
    """Parses a frame into a dict of its top-level members.

    Checks the members a receiver reads: sequence (required, a uint64,
    once), blobs (an array of lengths, once), type, error, code, namespace,
    name (strings), ok (bool), services (array of strings), timeout (an
    int64), callback (a uint64); null counts as absent for all but
    sequence. Raises BadFrame naming what is wrong.
    """
    top = []

    def hook(pairs):
        top.append(pairs)
        return dict(pairs)

    try:
        text = data.decode("utf-8", "replace")
        json.loads(text, object_pairs_hook=hook, parse_constant=_no_constant)
    except RecursionError:
        raise BadFrame("invalid frame: nested too deep") from None
    except ValueError as e:
        raise BadFrame("invalid frame: not JSON: %s" % e) from None
    pairs = top[-1]  # the outermost object closes last
    out = {}
    for k, v in pairs:
        if k in ("sequence", "blobs") and k in out:
            raise BadFrame("invalid frame: duplicate member " + k)
        if k == "sequence":
            if not _is_uint(v):
                raise BadFrame("invalid frame: sequence %s is not an unsigned integer" % dumps(v))
        elif v is None:
            continue
        elif k == "blobs":
            if not isinstance(v, list) or not all(_is_uint(n) and n <= 1 << 62 for n in v):
                raise BadFrame("invalid frame: blobs is not an array of lengths")
        elif k in ("type", "error", "code", "namespace", "name"):
            if not isinstance(v, str):
                raise BadFrame("invalid frame: %s is not a string" % k)
        elif k == "ok":
            if not isinstance(v, bool):
                raise BadFrame("invalid frame: ok is not a boolean")
        elif k == "timeout":
            if type(v) is not int or not _INT64[0] <= v <= _INT64[1]:
                raise BadFrame("invalid frame: timeout is not an int64 of nanoseconds")
        elif k == "callback":
            if not _is_uint(v):
                raise BadFrame("invalid frame: callback is not an unsigned integer")
        elif k == "services":
            if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
                raise BadFrame("invalid frame: services is not an array of strings")
        out[k] = v
    if "sequence" not in out:
        raise BadFrame("invalid frame: no sequence")
    return out


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


_SPACE = re.compile(rb"[ \t\r\n]*")
_UINT = re.compile(rb"(0|[1-9][0-9]*)(?=[,}\] \t\r\n])")
_SCALAR = re.compile(rb"[^,}\] \t\r\n]*(?=[,}\] \t\r\n])")


def _space_end(b, i):
    return _SPACE.match(b, i).end()


def _skip_string(b, i):
    """Offset just past the string at i, -1 if b does not hold all of it."""
    if i >= len(b) or b[i] != 0x22:
        return -1
    j = i + 1
    while j < len(b):
        c = b[j]
        if c == 0x5C:
            j += 2
            continue
        if c == 0x22:
            return j + 1
        j += 1
    return -1


def _read_uint(b, i):
    m = _UINT.match(b, i)
    if not m:
        return None, i
    v = int(m.group(1))
    if v > MAX_UINT64:
        return None, i
    return v, m.end()


def _read_lengths(b, i):
    if i >= len(b) or b[i] != 0x5B:
        return None, i
    out = []
    i = _space_end(b, i + 1)
    if i < len(b) and b[i] == 0x5D:
        return out, i + 1
    while True:
        v, n = _read_uint(b, _space_end(b, i))
        if v is None or v > 1 << 62:
            return None, i
        out.append(v)
        i = _space_end(b, n)
        if i >= len(b):
            return None, i
        if b[i] == 0x2C:
            i += 1
        elif b[i] == 0x5D:
            return out, i + 1
        else:
            return None, i


def _skip_value(b, i):
    if i >= len(b):
        return -1
    c = b[i]
    if c == 0x7B or c == 0x5B:
        s = ObjectScan()
        end, done = s.scan(b, i, len(b))
        return end if done and not s.why else -1
    if c == 0x22:
        return _skip_string(b, i)
    m = _SCALAR.match(b, i)
    return m.end() if m else -1


def recover(b):
    """The sequence and blobs members from the start of a frame that does
    not parse (or the head of one too large to keep): (sequence or None,
    blob lengths or None). The first of duplicate members counts."""
    seq, blobs = None, None
    i = _space_end(b, 0)
    if i >= len(b) or b[i] != 0x7B:
        return seq, blobs
    i += 1
    while True:
        i = _space_end(b, i)
        end = _skip_string(b, i)
        if end < 0:
            return seq, blobs
        raw = bytes(b[i:end])
        try:
            key = json.loads(raw) if b"\\" in raw else raw[1:-1].decode("utf-8", "replace")
        except ValueError:
            key = raw[1:-1].decode("utf-8", "replace")
        i = _space_end(b, end)
        if i >= len(b) or b[i] != 0x3A:
            return seq, blobs
        i = _space_end(b, i + 1)
        if key == "sequence" and seq is None:
            v, n = _read_uint(b, i)
            if v is not None:
                seq, i = v, n
        elif key == "blobs" and blobs is None:
            v, n = _read_lengths(b, i)
            if v is not None:
                blobs, i = v, n
        if seq is not None and blobs is not None:
            return seq, blobs
        i = _skip_value(b, i)
        if i < 0:
            return seq, blobs
        i = _space_end(b, i)
        if i >= len(b) or b[i] != 0x2C:
            return seq, blobs
        i += 1
