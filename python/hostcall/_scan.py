"""Finding frames in a byte stream (PROTOCOL.md sections 2 and 5).

A receiver finds frame boundaries by scanning the JSON itself, with its
grammar: any bytes (whitespace, newlines, nothing, garbage) may come between
objects, an object is handed on as soon as its closing brace is read, and an
object is cut short at the first byte that proves it is not JSON, so that the
frames after it are still read.
"""

import re

# States of an ObjectScan. VALUE expects a value: the opener a scan starts
# with.
VALUE = 0  # a value must start
VALUE_OR_CLOSE = 1  # after '[': a value or ']'
KEY = 2  # after ',' in an object: a member name
KEY_OR_CLOSE = 3  # after '{': a member name or '}'
COLON = 4  # after a member name: ':'
NEXT = 5  # after a value: ',' or its container's closer
STRING = 6  # inside a string
ESCAPE = 7  # after a backslash in a string
HEX = 8  # inside the digits of a \u escape
MINUS = 9  # after a number's '-'
ZERO = 10  # after a number's leading '0'
INT = 11  # in a number's integer digits
DOT = 12  # after a number's '.'
FRAC = 13  # in a number's fraction digits
EXP = 14  # after a number's 'e' or 'E'
EXP_SIGN = 15  # after the exponent's sign
EXP_DIGITS = 16  # in the exponent's digits
LITERAL = 17  # inside true, false or null
DEEP = 18  # below MAX_DEPTH levels: brackets and strings only
DEEP_STRING = 19  # inside a string below MAX_DEPTH levels
DEEP_ESCAPE = 20  # after a backslash there

# MAX_DEPTH is the nesting below which only brackets and strings are
# followed (PROTOCOL.md section 5): such a frame is refused by the parser
# anyway.
MAX_DEPTH = 10000

_SPACE = b" \t\r"
_PLAIN = re.compile(rb'[^"\\\x00-\x1f]+')  # string bytes that need no look
_DEEP_PLAIN = re.compile(rb'[^"\\]+')
_DIGITS = re.compile(rb"[0-9]+")
_BLANKS = re.compile(rb"[ \t\r]+")
_HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")
_LITERALS = {ord("t"): b"rue", ord("f"): b"alse", ord("n"): b"ull"}


class ObjectScan:
    """The state of a scan through one JSON object, fed in pieces.

    It follows the grammar of RFC 8259 and stops at the first byte that
    proves the bytes are not JSON.
    """

    __slots__ = ("state", "key", "hex", "lit", "nl", "stack", "depth", "why", "bad")

    def __init__(self):
        self.state = VALUE
        self.key = False
        self.hex = 0
        self.lit = b""
        self.nl = False  # a newline was seen between tokens
        self.stack = []  # True for an object, False for an array
        self.depth = 0  # containers open, deep ones included
        self.why = ""  # what the byte bad proved; "" while it may be JSON
        self.bad = 0

    def _fail(self, i, c, why):
        self.why, self.bad = why, c
        if c == 0x7B:  # '{' may start the next frame
            return i, True
        return i + 1, True

    def _open(self, obj):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.state = DEEP
            return
        self.stack.append(obj)
        self.state = KEY_OR_CLOSE if obj else VALUE_OR_CLOSE

    def _close(self, c):
        if self.stack[-1] != (c == 0x7D):
            return False
        self.stack.pop()
        self.depth -= 1
        self.state = NEXT
        return True

    def _kind(self):
        return "object" if self.stack[-1] else "array"

    def scan(self, b, i, end):
        """Advances through b[i:end].

        Returns (offset, done): done when the scan is over, with the offset
        just past the closing bracket, or, when the value is malformed (why
        is set), just past the byte that proves it (at it when it is '{').
        """
        while i < end:
            c = b[i]
            st = self.state
            if st == STRING:
                m = _PLAIN.match(b, i, end)
                if m:
                    i = m.end()
                    if i >= end:
                        return end, False
                    c = b[i]
                if c == 0x22:
                    self.state = COLON if self.key else NEXT
                elif c == 0x5C:
                    self.state = ESCAPE
                else:
                    return self._fail(i, c, "raw control character %r in a string")
            elif st == NEXT:
                if c in _SPACE:
                    pass
                elif c == 0x0A:
                    self.nl = True
                elif c == 0x2C:
                    self.state = KEY if self.stack[-1] else VALUE
                elif c == 0x7D or c == 0x5D:
                    if not self._close(c):
                        return self._fail(i, c, "%r does not close the open " + self._kind())
                    if self.depth == 0:
                        return i + 1, True
                else:
                    return self._fail(i, c, "%r where ',' or the " + self._kind() + "'s closer must follow a value")
            elif st == VALUE or st == VALUE_OR_CLOSE:
                if c in _SPACE:
                    pass
                elif c == 0x0A:
                    self.nl = True
                elif c == 0x22:
                    self.state, self.key = STRING, False
                elif c == 0x7B:
                    self._open(True)
                elif c == 0x5B:
                    self._open(False)
                elif c == 0x2D:
                    self.state = MINUS
                elif c == 0x30:
                    self.state = ZERO
                elif 0x31 <= c <= 0x39:
                    self.state = INT
                elif c in _LITERALS:
                    self.state, self.lit = LITERAL, _LITERALS[c]
                elif c == 0x5D and st == VALUE_OR_CLOSE:
                    self._close(c)
                    if self.depth == 0:
                        return i + 1, True
                else:
                    return self._fail(i, c, "%r where a value must start")
            elif st == KEY or st == KEY_OR_CLOSE:
                if c in _SPACE:
                    pass
                elif c == 0x0A:
                    self.nl = True
                elif c == 0x22:
                    self.state, self.key = STRING, True
                elif c == 0x7D and st == KEY_OR_CLOSE:
                    self._close(c)
                    if self.depth == 0:
                        return i + 1, True
                else:
                    return self._fail(i, c, "%r where a member name must start")
            elif st == COLON:
                if c in _SPACE:
                    pass
                elif c == 0x0A:
                    self.nl = True
                elif c == 0x3A:
                    self.state = VALUE
                else:
                    return self._fail(i, c, "%r where ':' must follow a member name")
            elif st == ESCAPE:
                if c in b'"\\/bfnrt':
                    self.state = STRING
                elif c == 0x75:
                    self.state, self.hex = HEX, 4
                else:
                    return self._fail(i, c, "invalid escape '\\' %r in a string")
            elif st == HEX:
                if c not in _HEXDIGITS:
                    return self._fail(i, c, "%r in a \\u escape")
                self.hex -= 1
                if self.hex == 0:
                    self.state = STRING
            elif st == LITERAL:
                if c != self.lit[0]:
                    return self._fail(i, c, "%r in a literal")
                self.lit = self.lit[1:]
                if not self.lit:
                    self.state = NEXT
            elif st == MINUS or st == DOT or st == EXP_SIGN:
                if not 0x30 <= c <= 0x39:
                    return self._fail(i, c, "%r where a number needs a digit")
                if st == MINUS:
                    self.state = ZERO if c == 0x30 else INT
                elif st == DOT:
                    self.state = FRAC
                else:
                    self.state = EXP_DIGITS
            elif st == EXP:
                if c == 0x2B or c == 0x2D:
                    self.state = EXP_SIGN
                elif 0x30 <= c <= 0x39:
                    self.state = EXP_DIGITS
                else:
                    return self._fail(i, c, "%r where an exponent needs a digit")
            elif st in (ZERO, INT, FRAC, EXP_DIGITS):
                if 0x30 <= c <= 0x39 and st != ZERO:
                    m = _DIGITS.match(b, i, end)
                    i = m.end()
                    continue
                if c == 0x2E and st in (ZERO, INT):
                    self.state = DOT
                elif (c == 0x65 or c == 0x45) and st != EXP_DIGITS:
                    self.state = EXP
                else:
                    # The number ended: c follows it as it follows any value.
                    self.state = NEXT
                    continue
            elif st == DEEP:
                if c == 0x22:
                    self.state = DEEP_STRING
                elif c == 0x7B or c == 0x5B:
                    self.depth += 1
                elif c == 0x7D or c == 0x5D:
                    self.depth -= 1
                    if self.depth == MAX_DEPTH:
                        self.state = NEXT
            elif st == DEEP_STRING:
                m = _DEEP_PLAIN.match(b, i, end)
                if m:
                    i = m.end()
                    if i >= end:
                        return end, False
                    c = b[i]
                self.state = DEEP_ESCAPE if c == 0x5C else DEEP
            elif st == DEEP_ESCAPE:
                self.state = DEEP_STRING
            i += 1
        return end, False

    def error(self, size):
        """What proved the value malformed, None if nothing did."""
        if not self.why:
            return None
        at = size if self.bad == 0x7B else size - 1
        return "malformed frame at byte %d: %s" % (at, self.why % (chr(self.bad),))


class Frame:
    """One JSON object read from a stream.

    data is the whole object, None when too_large (head then holds its
    first bytes); error says why the object is malformed, None if it is not.
    """

    __slots__ = ("data", "size", "too_large", "head", "error")

    def __init__(self, data, size, too_large=False, head=None, error=None):
        self.data, self.size, self.too_large, self.head, self.error = data, size, too_large, head, error


class TruncatedError(Exception):
    """The stream ended inside a frame."""


HEAD_SIZE = 4 << 10


class Framer:
    """Splits a byte stream into frames and reads the blobs that follow them.

    read(n) returns up to n bytes, b"" at the end of the stream.
    """

    def __init__(self, read, max_frame):
        self._read = read
        self.max = max_frame
        self.buf = bytearray()
        self.pos = 0
        self.eof = False
        self.last = 0  # size of the last frame, for read_blobs
        self.open_line = False  # the last frame was malformed, its line open
        self.skipped = 0

    def _compact(self):
        """Drops the bytes before pos; offsets into buf are then stale."""
        if self.pos > 0:
            del self.buf[: self.pos]
            self.pos = 0

    def _fill(self):
        """Appends what one read returns to buf; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self._read(1 << 16)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def next(self):
        """Returns the next Frame, None at the clean end of the stream.

        Raises TruncatedError when the stream ends inside a frame.
        """
        # Skip to the next '{' at depth 0.
        self._compact()
        while True:
            j = self.buf.find(b"{", self.pos)
            if j >= 0:
                self.skipped += j - self.pos
                self.pos = j
                break
            self.skipped += len(self.buf) - self.pos
            self.pos = len(self.buf)
            self._compact()
            if not self._fill():
                return None
        s = ObjectScan()
        start = self.pos
        scanned = start
        size = 0  # bytes of a too large frame already dropped
        head = None
        while True:
            end, done = s.scan(self.buf, scanned, len(self.buf))
            if done:
                break
            scanned = end
            if head is None and size + end - start > self.max:
                head = bytes(self.buf[start : start + HEAD_SIZE])
            if head is not None:
                size += end - start
                del self.buf[:end]
                self.pos = start = scanned = 0
            if not self._fill():
                raise TruncatedError("stream ended inside a frame (%d bytes read)" % (size + len(self.buf) - start))
        size += end - start
        data = bytes(self.buf[start:end]) if head is None else None
        self.pos = end
        self.last = size
        self.open_line = bool(s.why) and s.bad != 0x0A and not s.nl
        err = s.error(size)
        if head is not None or size > self.max:
            return Frame(None, size, True, head if head is not None else data[:HEAD_SIZE], err)
        return Frame(data, size, False, None, err)

    def _skip_newline(self):
        if self.open_line:
            while True:
                j = self.buf.find(b"\n", self.pos)
                if j >= 0:
                    self.pos = j + 1
                    return
                self.pos = len(self.buf)
                self._compact()
                if not self._fill():
                    raise TruncatedError("stream ended before the blobs of a frame")
        if self.pos >= len(self.buf) and not self._fill():
            raise TruncatedError("stream ended before the blobs of a frame")
        if self.buf[self.pos] == 0x0A:
            self.pos += 1

    def read_blobs(self, lengths, keep):
        """Reads the blobs of the frame last returned by next.

        Returns the list of blobs, or None when they are not kept (keep
        false, or over the frame limit: then they are read and dropped, and
        over is reported as the second value).
        """
        if not lengths:
            return [], False
        total, over = self.last, False
        for n in lengths:
            if n > self.max - total:
                over = True
            else:
                total += n
        keep = keep and not over
        self._skip_newline()
        out = []
        for k, n in enumerate(lengths):
            parts = []
            left = n
            while left > 0:
                if self.pos >= len(self.buf):
                    self._compact()
                    if left > 1 << 16:  # a large blob: straight from the stream
                        chunk = self._read(min(left, 1 << 20))
                        if not chunk:
                            self.eof = True
                            raise TruncatedError("stream ended inside blob %d of %d bytes" % (k, n))
                        if keep:
                            parts.append(chunk)
                        left -= len(chunk)
                        continue
                    if not self._fill():
                        raise TruncatedError("stream ended inside blob %d of %d bytes" % (k, n))
                take = min(left, len(self.buf) - self.pos)
                if keep:
                    parts.append(bytes(self.buf[self.pos : self.pos + take]))
                self.pos += take
                left -= take
            if keep:
                out.append(b"".join(parts))
        return (out if keep else None), over
