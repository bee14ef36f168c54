"""CURVE keys for a controller started with ``--client-keys DIR`` (docs/CLIENT_PROTOCOL.md).

``arbor keygen PATH`` writes a key pair: PATH (the secret key, mode 0600) and
PATH.pub (the public key, which goes into the controller's key directory). The
controller's ``--endpoint-file`` has the endpoint on line 1 and, with CURVE,
``curve-server-key KEY`` on line 2::

    ep = read_endpoint_file("/run/arbor/endpoint")
    keys = CurveKeys.from_files("~/.arbor/me", ep.server_key)
    async with Client(ep.endpoint, curve=keys) as c: ...

Key files hold one Z85 key (40 characters); blank lines, ``#`` comment lines and
whitespace around the key are ignored. I/O problems raise OSError; contents
that are not a key raise :class:`InvalidArgument` (``local=True``).
"""

from __future__ import annotations

import dataclasses
import os
import stat

import zmq
import zmq.utils.z85

from .errors import InvalidArgument

KEY_LENGTH = 40
_MAX_KEY_FILE_BYTES = 4096
_Z85 = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")


def is_z85_key(text: str) -> bool:
    """True when ``text`` is a Z85-encoded 32-byte key."""
    if not isinstance(text, str) or len(text) != KEY_LENGTH or not set(text) <= _Z85:
        return False
    try:
        zmq.utils.z85.decode(text)  # a group above 2**32 - 1 does not decode
    except Exception:  # KeyError, struct.error
        return False
    return True


def parse_key_text(text: str, where: str = "key") -> str:
    """The one key in ``text`` (see the module's docstring)."""
    key = None
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if key is not None:
            raise InvalidArgument(f"{where}: more than one key in it", local=True)
        if not is_z85_key(line):
            raise InvalidArgument(f"{where}: not a Z85 CURVE key ({KEY_LENGTH} characters expected)", local=True)
        key = line
    if key is None:
        raise InvalidArgument(f"{where}: no key in it", local=True)
    return key


def read_key_file(path: str | os.PathLike) -> str:
    """The key in the file at ``path``."""
    path = os.path.expanduser(os.fspath(path))
    with open(path, "rb") as f:
        data = f.read(_MAX_KEY_FILE_BYTES + 1)
    if len(data) > _MAX_KEY_FILE_BYTES:
        raise InvalidArgument(f"key file {path}: larger than {_MAX_KEY_FILE_BYTES} bytes", local=True)
    return parse_key_text(data.decode("ascii", errors="replace"), f"key file {path}")


def read_secret_key_file(path: str | os.PathLike) -> str:
    """read_key_file of a secret key; a ``.pub`` file (a public key would be read
    as the wrong secret one) and a file others may read are refused, as the
    controller and the C++ client refuse them."""
    path = os.path.expanduser(os.fspath(path))
    if path.endswith(".pub"):
        raise InvalidArgument(f"{path} is a public key file: give the secret key (without .pub)", local=True)
    key = read_key_file(path)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise InvalidArgument(f"secret key file {path} may be read by others (mode {mode:04o}): chmod 600 it", local=True)
    return key


@dataclasses.dataclass(frozen=True)
class CurveKeys:
    """This client's key pair and the controller's public key, all Z85 text."""

    public: str
    secret: str = dataclasses.field(repr=False)
    server_public: str

    @classmethod
    def from_files(cls, secret_key_path: str | os.PathLike, server_public: str) -> "CurveKeys":
        """The pair of ``arbor keygen``'s secret key file (the public half is derived)."""
        secret = read_secret_key_file(secret_key_path)
        public = zmq.curve_public(secret.encode()).decode()
        return cls(public=public, secret=secret, server_public=server_public)

    def check(self) -> None:
        """Raises InvalidArgument unless all three are Z85 keys and ``public`` is ``secret``'s."""
        if not is_z85_key(self.secret):
            raise InvalidArgument("curve: the secret key is not a Z85 key", local=True)
        if zmq.curve_public(self.secret.encode()).decode() != self.public:
            raise InvalidArgument("curve: the public key is not the secret key's", local=True)
        if not is_z85_key(self.server_public):
            raise InvalidArgument("curve: the server key is not a Z85 key", local=True)


@dataclasses.dataclass(frozen=True)
class EndpointFile:
    endpoint: str
    server_key: str | None  # None: the controller does not use CURVE


def read_endpoint_file(path: str | os.PathLike) -> EndpointFile:
    """The controller's ``--endpoint-file``: line 1 the endpoint, line 2 (with
    CURVE) ``curve-server-key KEY``."""
    path = os.fspath(path)
    with open(path) as f:
        lines = [line.strip() for line in f.read().split("\n") if line.strip()]
    if not lines:
        raise InvalidArgument(f"endpoint file {path}: no endpoint in it", local=True)
    server_key = None
    for n, line in enumerate(lines[1:], start=2):
        words = line.split()
        if len(words) != 2 or words[0] != "curve-server-key" or not is_z85_key(words[1]) or server_key:
            raise InvalidArgument(f"endpoint file {path}: line {n} is not `curve-server-key KEY`", local=True)
        server_key = words[1]
    return EndpointFile(lines[0], server_key)
