"""Finding frames in a stream: PROTOCOL.md sections 2 and 5."""

import os
import threading
import unittest

from hostcall._scan import Framer, ObjectScan, TruncatedError


def framer_of(data, max_frame=1 << 20, chunk=None):
    """A Framer reading data, chunk bytes per read (all at once by default)."""
    buf = {"rest": data}

    def read(n):
        if chunk:
            n = min(n, chunk)
        out, buf["rest"] = buf["rest"][:n], buf["rest"][n:]
        return out

    return Framer(read, max_frame)


def frames(data, **kw):
    f = framer_of(data, **kw)
    out = []
    while True:
        fr = f.next()
        if fr is None:
            return out
        out.append(fr)


class ScanTest(unittest.TestCase):
    def test_valid_json_is_never_malformed(self):
        for doc in (b'{}', b'{"a":[1,-2.5e+3,0,0.1E2,true,false,null,"\\u00e9\\n\\"",{}]}',
                    b'{ "a" : [ ] , "b" :\n{ } }', '{"\u00e9":"\u2603"}'.encode(), b'{"a":-0}'):
            s = ObjectScan()
            end, done = s.scan(doc, 0, len(doc))
            self.assertTrue(done, doc)
            self.assertEqual((end, s.why), (len(doc), ""), doc)

    def test_malformed_at_the_proving_byte(self):
        cases = [
            (b'{"a":[1,}', 8, "}"), (b'{"a":1]', 6, "]"), (b'{"a":"x\ny"}', 7, "\n"),
            (b'{"a":"\\x"}', 7, "x"), (b'{"a":"\\u12g4"}', 10, "g"), (b'{"a":[1,,2]}', 8, ","),
            (b'{"a":[1,]}', 8, "]"), (b'{"a":x}', 5, "x"), (b'{"a" 1}', 5, "1"), (b'{"a":01}', 6, "1"),
            (b'{"a":1.}', 7, "}"), (b'{"a":tru}', 8, "}"), (b'{"a":NaN}', 5, "N"), (b'{1:2}', 1, "1"),
            (b'{"a":-}', 6, "}"), (b'{"a":1e}', 7, "}"),
        ]
        for doc, at, byte in cases:
            s = ObjectScan()
            end, done = s.scan(doc, 0, len(doc))
            self.assertTrue(done, doc)
            self.assertEqual(end, at + 1, doc)
            self.assertEqual(chr(s.bad), byte, doc)
            self.assertIn("malformed frame at byte %d" % at, s.error(end))

    def test_brace_that_proves_starts_next_frame(self):
        s = ObjectScan()
        doc = b'{"a":1 {"b":2}'
        end, done = s.scan(doc, 0, len(doc))
        self.assertEqual((end, done), (7, True))

    def test_fed_in_pieces(self):
        doc = b'{"sequence":12,"reply":["abc\\"\\u00e9",123.5e-2,[true,null]]}'
        for cut in range(1, len(doc)):
            s = ObjectScan()
            end, done = s.scan(doc[:cut], 0, cut)
            self.assertFalse(done, cut)
            end, done = s.scan(doc, cut, len(doc))
            self.assertEqual((end, done, s.why), (len(doc), True, ""), cut)

    def test_deep_nesting_follows_brackets(self):
        doc = b'{"a":' + b"[" * 10005 + b"]" * 10005 + b"}"
        s = ObjectScan()
        end, done = s.scan(doc, 0, len(doc))
        self.assertEqual((end, done, s.why), (len(doc), True, ""))


class FramerTest(unittest.TestCase):
    def test_any_separator(self):
        data = b'{"sequence":1}{"sequence":2}\n\n  {"a": 1 , "sequence" : 3}\r\n{"sequence":4}'
        for chunk in (None, 1, 3):
            got = [f.data for f in frames(data, chunk=chunk)]
            self.assertEqual(got, [b'{"sequence":1}', b'{"sequence":2}', b'{"a": 1 , "sequence" : 3}', b'{"sequence":4}'])

    def test_garbage_skipped(self):
        f = framer_of(b'garbage ]} "x{"sequence":1}')
        self.assertEqual(f.next().data, b'{"sequence":1}')
        self.assertEqual(f.skipped, len(b'garbage ]} "x'))

    def test_resynchronises_after_malformed(self):
        data = b'{"sequence":1,"reply":"open\n{"sequence":2}{"sequence":3,"reply":[1,}{"sequence":4}'
        got = frames(data)
        self.assertEqual([f.data for f in got],
                         [b'{"sequence":1,"reply":"open\n', b'{"sequence":2}', b'{"sequence":3,"reply":[1,}', b'{"sequence":4}'])
        self.assertEqual([f.error is not None for f in got], [True, False, True, False])

    def test_does_not_wait_for_newline(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        f = Framer(lambda n: os.read(r, n), 1 << 20)
        os.write(w, b'{"sequence":1}')
        got = []
        t = threading.Thread(target=lambda: got.append(f.next()))
        t.start()
        t.join(10)
        self.assertEqual(got[0].data, b'{"sequence":1}')

    def test_truncated(self):
        f = framer_of(b'{"sequence":1}{"sequence":2,')
        f.next()
        with self.assertRaises(TruncatedError):
            f.next()

    def test_too_large_discarded_with_head(self):
        big = b'{"sequence":9,"blobs":[3],"reply":["' + b"x" * 100000 + b'"]}\nabc{"sequence":10}'
        for chunk in (None, 1000):
            f = framer_of(big, max_frame=1000, chunk=chunk)
            fr = f.next()
            self.assertTrue(fr.too_large)
            self.assertIsNone(fr.data)
            self.assertTrue(fr.head.startswith(b'{"sequence":9,"blobs":[3]'))
            self.assertLessEqual(len(fr.head), 4096)
            self.assertEqual(fr.size, big.index(b"\n"))
            blobs, over = f.read_blobs([3], False)
            self.assertIsNone(blobs)
            self.assertEqual(f.next().data, b'{"sequence":10}')

    def test_blobs_follow_the_newline(self):
        f = framer_of(b'{"sequence":1,"blobs":[2,0,3]}\nab{c}{"sequence":2}')
        f.next()
        self.assertEqual(f.read_blobs([2, 0, 3], True), ([b"ab", b"", b"{c}"], False))
        self.assertEqual(f.next().data, b'{"sequence":2}')

    def test_blobs_without_newline(self):
        f = framer_of(b'{"sequence":1,"blobs":[2]}xy{"sequence":2}')
        f.next()
        self.assertEqual(f.read_blobs([2], True), ([b"xy"], False))
        self.assertEqual(f.next().data, b'{"sequence":2}')

    def test_large_blob_in_pieces(self):
        blob = os.urandom(300000)
        f = framer_of(b'{"sequence":1,"blobs":[300000]}\n' + blob + b'{"sequence":2}', chunk=70000)
        f.next()
        self.assertEqual(f.read_blobs([300000], True), ([blob], False))
        self.assertEqual(f.next().data, b'{"sequence":2}')

    def test_blobs_over_limit_dropped(self):
        f = framer_of(b'{"sequence":1,"blobs":[200]}\n' + b"b" * 200 + b'{"sequence":2}', max_frame=100)
        f.next()
        self.assertEqual(f.read_blobs([200], True), (None, True))
        self.assertEqual(f.next().data, b'{"sequence":2}')

    def test_blobs_of_malformed_frame_after_its_line(self):
        f = framer_of(b'{"sequence":1,"blobs":[3],"reply":[1,} rest of line\nxyz{"sequence":2}')
        fr = f.next()
        self.assertIsNotNone(fr.error)
        f.read_blobs([3], False)
        self.assertEqual(f.next().data, b'{"sequence":2}')

    def test_truncated_blob(self):
        f = framer_of(b'{"sequence":1,"blobs":[5]}\nab')
        f.next()
        with self.assertRaises(TruncatedError):
            f.read_blobs([5], True)


if __name__ == "__main__":
    unittest.main()
