"""Errors of the OAuth connect flow, each with a status, a stable code and words for a person."""

from core.errors import AppError


class OAuthError(AppError):
    """Base of every OAuth failure (rendered by the one global error handler)."""

    def __init__(self, message: str, code: str = "oauth_failed", status: int = 502) -> None:
        super().__init__(status, code, message)


class OAuthDiscoveryError(OAuthError):
    """The server or its authorization server does not publish usable OAuth metadata."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "oauth_discovery_failed", 502)


class OAuthRegistrationError(OAuthError):
    """No way to identify this service to the authorization server."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "oauth_registration_failed", 502)


class OAuthStateError(OAuthError):
    """A callback that does not belong to a pending authorization of this browser."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "oauth_state_invalid", 400)


class OAuthGrantError(OAuthError):
    """The authorization server refused a code or a refresh token."""

    def __init__(self, message: str, *, reauthorize: bool = False) -> None:
        super().__init__(
            message, "oauth_reauthorization_needed" if reauthorize else "oauth_grant_failed", 502
        )
        self.reauthorize = reauthorize
