"""Answering `plugin info` (PROTOCOL.md section 7)."""

import json
import sys

MANIFEST_VERSION = 1
INFO_COMMAND = "info"


def manifest_json(manifest):
    """The manifest as `plugin info` prints it: one JSON object, with
    manifestVersion set. Raises ValueError for a manifest a host refuses:
    no name, no commands list, a command without a path of non-empty
    words."""
    m = dict(manifest)
    m["manifestVersion"] = MANIFEST_VERSION
    if not isinstance(m.get("name"), str) or not m["name"]:
        raise ValueError("hostcall: invalid manifest: no name")
    cmds = m.setdefault("commands", [])
    if not isinstance(cmds, list):
        raise ValueError("hostcall: invalid manifest: commands is not a list")
    for i, c in enumerate(cmds):
        path = c.get("path") if isinstance(c, dict) else None
        if not isinstance(path, list) or not path or not all(isinstance(w, str) and w for w in path):
            raise ValueError("hostcall: invalid manifest: command %d has no path of non-empty words" % i)
    m.setdefault("version", "")
    return json.dumps(m, separators=(",", ":"))


def handle_info(out, args, manifest):
    """Writes the manifest to out and returns True when the first of args
    (the plugin's arguments, sys.argv[1:]) is "info"; otherwise writes
    nothing and returns False."""
    if not args or args[0] != INFO_COMMAND:
        return False
    out.write(manifest_json(manifest) + "\n")
    out.flush()
    return True


def serve_info(manifest):
    """The one line a plugin needs for discovery: run as `plugin info`, it
    prints the manifest (a dict: name, version, commands...) on stdout and
    exits 0 (1 with a message on stderr if the manifest is invalid).
    Otherwise it returns."""
    try:
        handled = handle_info(sys.stdout, sys.argv[1:], manifest)
    except ValueError as e:
        print(e, file=sys.stderr)
        sys.exit(1)
    if handled:
        sys.exit(0)
