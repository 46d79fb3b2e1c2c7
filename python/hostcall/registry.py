"""The functions a plugin serves to the host (PROTOCOL.md section 6,
"serve"), by namespace and name, and what the server reads from their
signatures once, when they are added."""

import collections.abc
import inspect
import threading
import types
import typing

from . import _frames

# How an argument of the wire is handed to a parameter (Function.kind).
ANY = "any"  # as decoded; a {"callback":id} object becomes a Callback
BYTES = "bytes"  # annotated bytes: a blob index, base64 or null becomes bytes
CALLBACK = "callback"  # annotated Callable: {"callback":id} or null, nothing else
OTHER = "other"  # annotated with another type: as decoded

# typing.Optional[X] and, from Python 3.10, X | None.
_UNION_TYPES = tuple(t for t in (typing.Union, getattr(types, "UnionType", None)) if t is not None)


class Function:
    """A served function (or a function lent to the host as a callback),
    with what its signature says: where its context goes, which parameters
    take bytes or callbacks, and the signature to check arguments against.

    ctx: a parameter named ``ctx`` gets the call's Context, as the first
    positional argument when it is the first parameter, else by keyword.
    """

    __slots__ = ("fn", "what", "ctx", "kinds", "rest", "sig")

    def __init__(self, fn, what):
        if not callable(fn):
            raise TypeError("hostcall: %s: %r is not callable" % (what, fn))
        self.fn, self.what = fn, what
        self.ctx, self.kinds, self.rest, self.sig = None, [], ANY, None
        try:
            self.sig = inspect.signature(fn)
        except (TypeError, ValueError):  # some built-ins: arguments are not checked before the call
            return
        hints = _hints(fn)
        params = list(self.sig.parameters.values())
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for i, p in enumerate(params):
            if p.name == "ctx":
                if i == 0 and p.kind in positional:
                    self.ctx = "first"
                elif p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
                    self.ctx = "keyword"
                else:
                    raise TypeError("hostcall: %s: parameter ctx must come first, or be one that takes a keyword" % what)
                continue
            kind = _kind(hints.get(p.name, p.annotation))
            if p.kind in positional:
                self.kinds.append(kind)
            elif p.kind == inspect.Parameter.VAR_POSITIONAL:
                self.rest = kind

    def kind(self, i):
        """How argument i is handed over: ANY, BYTES, CALLBACK or OTHER."""
        return self.kinds[i] if i < len(self.kinds) else self.rest

    def _call_args(self, args, ctx):
        if self.ctx == "first":
            return [ctx] + list(args), {}
        if self.ctx == "keyword":
            return args, {"ctx": ctx}
        return args, {}

    def check(self, args, ctx):
        """Raises TypeError, saying why, when args do not fit the
        signature."""
        if self.sig is not None:
            a, kw = self._call_args(args, ctx)
            self.sig.bind(*a, **kw)

    def __call__(self, args, ctx):
        a, kw = self._call_args(args, ctx)
        return self.fn(*a, **kw)


def _hints(fn):
    """The resolved annotations of fn; {} when they cannot be resolved (the
    raw annotations are read then)."""
    try:
        return typing.get_type_hints(fn)
    except Exception:  # a forward reference that does not resolve, a callable object...
        return {}


def _kind(t):
    """How a parameter annotated t takes its argument."""
    if t is inspect.Parameter.empty or t is typing.Any or t is object:
        return ANY
    if isinstance(t, str):
        return _kind_of_text(t)
    origin = typing.get_origin(t)
    if origin is not None and origin in _UNION_TYPES:
        args = [a for a in typing.get_args(t) if a is not type(None)]
        return _kind(args[0]) if len(args) == 1 else OTHER
    if t is bytes:
        return BYTES
    if t is collections.abc.Callable or t is typing.Callable or t is callable or origin is collections.abc.Callable:
        return CALLBACK
    return OTHER


def _kind_of_text(s):
    """_kind of an annotation left as text (one that does not resolve)."""
    s = s.replace(" ", "").replace("typing.", "").replace("collections.abc.", "")
    if s.startswith("Optional[") and s.endswith("]"):
        s = s[len("Optional["):-1]
    elif s.endswith("|None"):
        s = s[: -len("|None")]
    elif s.startswith("None|"):
        s = s[len("None|"):]
    if s == "bytes":
        return BYTES
    if s.startswith("Callable"):
        return CALLBACK
    if s in ("Any", "object"):
        return ANY
    return OTHER


class _Namespace:
    __slots__ = ("manifest_json", "services")

    def __init__(self):
        self.manifest_json = None
        self.services = {}


class Registry:
    """The functions a plugin serves, by namespace and name, with the
    namespaces' manifests (optional). Safe for concurrent use; functions may
    be added while it is served.

        reg = hostcall.Registry({"kv": {"get": get, "put": put}})
        reg.define("kv", {"description": "a key-value store"})

        @reg.service("kv")
        def delete(key):
            ...

    A function takes the call's arguments, positional, decoded from JSON
    (dicts, lists, str, int, float, bool, None). Annotations say what JSON
    cannot: a parameter annotated ``bytes`` gets bytes (sent as a blob or as
    base64), one annotated ``Callable`` gets a function the host lent
    (Callback). A parameter named ``ctx`` gets the call's Context. What the
    function returns is the reply: None for no results, a tuple for several
    results, any other value for one (so ``return (None,)`` is one null
    result, and a list is one result).
    """

    def __init__(self, services=None):
        self._lock = threading.Lock()
        self._ns = {}
        if services is not None:
            self.add_services(services)

    def define(self, namespace, manifest=None):
        """Defines namespace, with manifest (any JSON value: what getManifest
        answers; None for none), replacing its manifest if it is defined
        already. Adding a service defines its namespace too."""
        _check_name("namespace", namespace)
        mj = None
        if manifest is not None:
            try:
                mj = _frames.dumps(manifest)
            except (TypeError, ValueError) as e:
                raise TypeError("hostcall: the manifest of %s cannot travel as JSON: %s" % (namespace, e)) from None
        with self._lock:
            self._ns.setdefault(namespace, _Namespace()).manifest_json = mj

    def add(self, namespace, name, fn):
        """Serves fn as service name of namespace; returns fn. ValueError
        when the namespace has a service of that name already."""
        _check_name("namespace", namespace)
        _check_name("service", name)
        f = Function(fn, "%s.%s" % (namespace, name))
        with self._lock:
            ns = self._ns.setdefault(namespace, _Namespace())
            if name in ns.services:
                raise ValueError("hostcall: service %s.%s is already registered" % (namespace, name))
            ns.services[name] = f
        return fn

    def add_services(self, services):
        """Adds the functions of a mapping namespace -> name -> function."""
        for namespace, funcs in services.items():
            if not isinstance(funcs, collections.abc.Mapping):
                raise TypeError("hostcall: the services of namespace %r are %r, not a mapping of names to functions"
                                % (namespace, funcs))
            if not funcs:
                self.define(namespace)
            for name, fn in funcs.items():
                self.add(namespace, name, fn)

    def service(self, namespace, name=None):
        """A decorator that serves the function it decorates as service name
        (by default the function's __name__) of namespace."""

        def decorate(fn):
            return self.add(namespace, name if name is not None else fn.__name__, fn)

        return decorate

    # What the server asks.

    def has_namespace(self, namespace):
        with self._lock:
            return namespace in self._ns

    def manifest_json(self, namespace):
        """(defined, the manifest's JSON or None)."""
        with self._lock:
            ns = self._ns.get(namespace)
            return (ns is not None), (ns.manifest_json if ns is not None else None)

    def names(self, namespace):
        """The sorted names of namespace's services, None for a namespace
        that is not defined."""
        with self._lock:
            ns = self._ns.get(namespace)
            return None if ns is None else sorted(ns.services)

    def lookup(self, namespace, name):
        """(Function, None, None), or (None, code, message) for an unknown
        namespace or service."""
        with self._lock:
            ns = self._ns.get(namespace)
            f = ns.services.get(name) if ns is not None else None
        if ns is None:
            return None, "unknown_namespace", '%s.%s: unknown namespace %s' % (namespace, name, _frames.dumps(namespace))
        if f is None:
            return None, "unknown_service", "%s.%s: unknown service" % (namespace, name)
        return f, None, None


def _check_name(what, s):
    if not isinstance(s, str) or not s:
        raise TypeError("hostcall: a %s name is a non-empty string, not %r" % (what, s))
