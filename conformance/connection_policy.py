"""What the run's session does at the connection level: no cookies kept, and a request dropped on an idle keep-alive
connection sent once more."""
from __future__ import annotations

import http.client
import http.cookiejar
import threading

import urllib3


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The API keeps no sessions and uses no cookies (platform docs): a cookie a target or a proxy in front of it sets
    is never sent back, so every request carries only what the case sent (and no thread changes a shared jar)."""

    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False


DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
DROPS = threading.local()  # why this thread's request was sent again, read back by session.GuardedSession


class ResendDropped(urllib3.util.Retry):
    """A target (or a proxy before it) closes a keep-alive connection it found idle whenever it likes; a request
    sent on it that moment is dropped unread (RFC 9112 section 9.3.1). Like browsers, curl and schemathesis, send such
    a request once more on a fresh connection; every other error stays exactly as urllib3 raises it without retries.
    A target that drops the fresh one too is reported with that error."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        reason = error.args[-1] if isinstance(error, urllib3.exceptions.ProtocolError) and error.args else None
        if self.total and isinstance(reason, DROPPED):
            DROPS.reason = f"the first send was dropped unanswered ({type(reason).__name__}); sent once more"
            return super().increment(method, url, response, error, _pool, _stacktrace)
        return urllib3.util.Retry(0, read=False).increment(method, url, response, error, _pool, _stacktrace)
