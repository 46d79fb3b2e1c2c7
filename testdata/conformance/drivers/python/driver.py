"""The conformance kit's client driver for the Python package (python/hostcall).

A plugin, started with --host-file arguments, that makes the calls the
runner sends on its stdin and prints their results on stdout, one JSON
object per line (testdata/conformance/README.md):

    PYTHONPATH=python hostcall conformance client -- python3 testdata/conformance/drivers/python/driver.py

op serve serves the registry the kit's README specifies (plug.add,
plug.fail, plug.wait) until the host's stream ends.
"""

import base64
import json
import sys
import threading

import hostcall

_out_lock = threading.Lock()


def report(ident, result=None, error=None):
    line = {"id": ident}
    if error is not None:
        line["error"] = error
    else:
        line["result"] = result
    with _out_lock:
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def error_of(e):
    """The kit's code and message of an exception."""
    if isinstance(e, hostcall.ConnectionClosedError):
        code = "closed"
    elif isinstance(e, hostcall.BadReplyError):
        code = "bad_reply"
    elif isinstance(e, hostcall.NotHostedError):
        code = "not_hosted"
    elif isinstance(e, hostcall.HostcallError):
        code = e.code or ""
    else:
        return {"code": "error", "message": "%s: %s" % (type(e).__name__, e)}
    return {"code": code, "message": e.message}


def run(client, ins, cancel):
    op = ins.get("op")
    timeout = ins.get("timeout")
    if op == "call":
        returns = bytes if ins.get("bytes") else None
        res = client.call_all(ins["namespace"], ins["name"], *ins.get("args", []),
                              timeout=timeout, cancel=cancel, returns=returns)
        if returns is bytes:
            res = [None if r is None else base64.b64encode(r).decode("ascii") for r in res]
        return res
    if op == "hasNamespace":
        return client.has_namespace(ins["namespace"], timeout=timeout)
    if op == "getManifest":
        return client.get_manifest(ins["namespace"], timeout=timeout)
    if op == "listServices":
        return client.list_services(ins["namespace"], timeout=timeout)
    if op == "serve":
        return client.serve(plugin_registry())
    raise NotImplementedError("op %s" % op)


class PluginSaysNo(Exception):
    pass


def plugin_registry():
    """What the driver serves on op serve, as the kit's README says."""
    reg = hostcall.Registry()
    reg.define("plug", {"description": "the plugin's own"})

    def add(a, b):
        return a + b

    def fail():
        raise PluginSaysNo("plugin says no")

    def wait(ctx):
        ctx.wait()
        ctx.check()

    reg.add("plug", "add", add)
    reg.add("plug", "fail", fail)
    reg.add("plug", "wait", wait)
    return reg


def start(client, ins, cancels, threads):
    ident = ins.get("id")
    key = json.dumps(ident)
    if ins.get("op") == "cancel":
        ev = cancels.get(key)
        if ev is not None:
            ev.set()
        return
    cancel = threading.Event()
    cancels[key] = cancel

    def target():
        try:
            report(ident, result=run(client, ins, cancel))
        except NotImplementedError as e:
            report(ident, error={"code": "unsupported", "message": str(e)})
        except Exception as e:  # every failure is reported, none kills the driver
            report(ident, error=error_of(e))

    t = threading.Thread(target=target, daemon=True)
    threads.append(t)
    t.start()


def main():
    client = hostcall.connect()  # finds --host-file in sys.argv; says hello
    cancels, threads = {}, []
    for line in sys.stdin:
        if line.strip():
            start(client, json.loads(line), cancels, threads)
    client.close()  # calls still pending fail: their results are printed
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
