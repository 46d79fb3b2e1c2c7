"""hostcall for Python: make a Python program a hostcall plugin.

The host starts the plugin with --host-file arguments; connect() finds them
in sys.argv and opens the connection, and the client calls the host's
services (docs/PROTOCOL.md of the hostcall project, protocols 1 and 2):

    import hostcall

    hostcall.serve_info({"name": "adder", "version": "1.0.0",
                         "commands": [{"path": ["add"], "type": "demo"}]})
    with hostcall.connect() as host:
        print(host.call("calc", "add", 1, 2))   # 3, computed by the host
"""

from .client import (
    DEFAULT_MAX_FRAME,
    FEATURES,
    MIN_BLOB,
    PROTOCOL,
    Client,
    NotHostedClient,
    connect,
    default,
)
from ._transport import host_urls
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
)
from .info import handle_info, manifest_json, serve_info

__version__ = "0.1.0"


def hosted(argv=None):
    """Whether the plugin was started by a host (with --host-file)."""
    return bool(host_urls(argv))


__all__ = [
    "BadArgumentsError",
    "BadReplyError",
    "BadRequestError",
    "CanceledError",
    "Client",
    "ConnectionClosedError",
    "DEFAULT_MAX_FRAME",
    "DeadlineExceededError",
    "FEATURES",
    "HostcallError",
    "MIN_BLOB",
    "NotHostedClient",
    "NotHostedError",
    "PROTOCOL",
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
    "serve_info",
]
