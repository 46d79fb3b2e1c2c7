"""hostcall for Python: make a Python program a hostcall plugin.

The host starts the plugin with --host-file arguments; connect() finds them
in sys.argv and opens the connection, and the client calls the host's
services and serves the plugin's own functions to the host
(docs/PROTOCOL.md of the hostcall project, protocols 1 and 2):

    import hostcall

    hostcall.serve_info({"name": "adder", "version": "1.0.0",
                         "commands": [{"path": ["add"], "type": "demo"}]})
    with hostcall.connect() as host:
        print(host.call("calc", "add", 1, 2))   # 3, computed by the host

A plugin that serves (the host calls it, host.Start in Go):

    def get(key):
        return store[key]

    hostcall.serve({"kv": {"get": get}})        # until the host closes
"""

from .client import (
    DEFAULT_MAX_FRAME,
    DRAIN_TIMEOUT,
    FEATURES,
    MIN_BLOB,
    PROTOCOL,
    Client,
    NotHostedClient,
    connect,
    default,
)
from ._served import DEFAULT_WORKERS, Callback
from ._stream import Stream
from ._transport import host_urls
from .context import Context
from .errors import (
    BadArgumentsError,
    BadReplyError,
    BadRequestError,
    CanceledError,
    ConnectionClosedError,
    DeadlineExceededError,
    HostcallError,
    NotHostedError,
    RemoteError,
    ServiceError,
    ServicePanicError,
    TooLargeError,
    UnavailableError,
    UnknownNamespaceError,
    UnknownServiceError,
    register_error,
)
from .info import handle_info, manifest_json, serve_info
from .registry import Registry

__version__ = "0.2.0"


def hosted(argv=None):
    """Whether the plugin was started by a host (with --host-file)."""
    return bool(host_urls(argv))


def serve(services, **kwargs):
    """Serves services (a Registry, or a mapping namespace -> name ->
    function) to the host on the process's connection (default()) until the
    host closes it: Client.serve. A plugin that is not hosted raises
    NotHostedError at once."""
    return default().serve(services, **kwargs)


__all__ = [
    "BadArgumentsError",
    "BadReplyError",
    "BadRequestError",
    "Callback",
    "CanceledError",
    "Client",
    "Stream",
    "ConnectionClosedError",
    "Context",
    "DEFAULT_MAX_FRAME",
    "DEFAULT_WORKERS",
    "DRAIN_TIMEOUT",
    "DeadlineExceededError",
    "FEATURES",
    "HostcallError",
    "MIN_BLOB",
    "NotHostedClient",
    "NotHostedError",
    "PROTOCOL",
    "Registry",
    "RemoteError",
    "ServiceError",
    "ServicePanicError",
    "TooLargeError",
    "UnavailableError",
    "UnknownNamespaceError",
    "UnknownServiceError",
    "connect",
    "default",
    "handle_info",
    "host_urls",
    "hosted",
    "manifest_json",
    "register_error",
    "serve",
    "serve_info",
]
