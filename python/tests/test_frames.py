"""Reading response frames and recovering members of bad ones."""

import unittest

from hostcall import _frames


class ParseTest(unittest.TestCase):
    def test_members(self):
        m = _frames.parse(b'{"sequence":3,"reply":[1],"error":null,"code":"x","ok":true,"services":["a"],"more":{"sequence":"nested ok"}}')
        self.assertEqual(m, {"sequence": 3, "reply": [1], "code": "x", "ok": True, "services": ["a"], "more": {"sequence": "nested ok"}})

    def test_invalid(self):
        for frame, why in (
            (b'{"reply":[1]}', "no sequence"),
            (b'{"sequence":-1}', "not an unsigned integer"),
            (b'{"sequence":1.5}', "not an unsigned integer"),
            (b'{"sequence":18446744073709551616}', "not an unsigned integer"),
            (b'{"sequence":1,"sequence":2}', "duplicate member sequence"),
            (b'{"sequence":1,"blobs":[1],"blobs":[2]}', "duplicate member blobs"),
            (b'{"sequence":1,"blobs":[-1]}', "blobs"),
            (b'{"sequence":1,"error":1}', "error is not a string"),
            (b'{"sequence":1,"ok":1}', "ok is not a boolean"),
        ):
            with self.assertRaises(_frames.BadFrame) as cm:
                _frames.parse(frame)
            self.assertIn(why, str(cm.exception), frame)

    def test_deep(self):
        with self.assertRaises(_frames.BadFrame):
            _frames.parse(b'{"sequence":1,"reply":' + b"[" * 100000 + b"]" * 100000 + b"}")


class RecoverTest(unittest.TestCase):
    def test_recover(self):
        cases = [
            (b'{"sequence":7,"reply":[1,}', (7, None)),
            (b'{"sequence":7,"blobs":[1, 2],"x":', (7, [1, 2])),
            (b'{"blobs":[3],"a":{"b":[1,2]},"sequence":8,"x":?', (8, [3])),
            (b'{"sequence":7,"sequence":8}', (7, None)),
            (b'{"sequence":"x","sequence":9}', (9, None)),
            (b'{"sequence":1', (None, None)),  # may go on past the cut
            (b'{"sequence":01,', (None, None)),
            (b'{"reply":[1,},"sequence":5}', (None, None)),
            (b'{"seq\\u0075ence":4,', (4, None)),
            (b'not a frame', (None, None)),
        ]
        for frame, want in cases:
            self.assertEqual(_frames.recover(frame), want, frame)


class EncodeTest(unittest.TestCase):
    def test_request(self):
        self.assertEqual(_frames.request(5, "call", "calc", "add", "[1,2]", 1000, [b"ab"]),
                         b'{"sequence":5,"type":"call","namespace":"calc","name":"add","args":[1,2],"timeout":1000,"blobs":[2]}\n')
        self.assertEqual(_frames.request(6, "cancel"), b'{"sequence":6,"type":"cancel"}\n')

    def test_args(self):
        self.assertEqual(_frames.encode_args([1, "é", b"hi", b"x" * 4], 3), ('[1,"é","aGk=",0]', [b"xxxx"]))
        self.assertEqual(_frames.encode_args([b"x" * 4], -1), ('["eHh4eA=="]', []))


if __name__ == "__main__":
    unittest.main()
