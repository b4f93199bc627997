"""Error classes, each with its HTTP status and CLI exit code; the one place that maps them."""


class MutuError(Exception):
    """Base of every error Mutu reports to a user."""

    status = 500
    exit_code = 2

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(MutuError):
    """The request or input is malformed (bad syntax, bad parameter)."""

    status = 400


class QuerySyntaxError(BadRequest):
    """A SPARQL query or update that does not parse."""


class InputError(BadRequest):
    """An input file that cannot be read or parsed (encoding, syntax, size, format)."""


class InvalidData(MutuError):
    """Data that parses but breaks the SHACL contract; carries the validation report."""

    status = 422
    exit_code = 1

    def __init__(self, message: str, report):
        super().__init__(message)
        self.report = report


class Forbidden(MutuError):
    status = 403


class NotFound(MutuError):
    status = 404


class NotAcceptable(MutuError):
    status = 406


class UnsupportedMediaType(MutuError):
    status = 415


class PayloadTooLarge(MutuError):
    status = 413


class StoreUnavailable(MutuError):
    """The store cannot be opened (locked by another process, missing, corrupt)."""

    status = 503


class QueryEvaluationError(MutuError):
    """The store failed while evaluating a well-formed query."""

    status = 500


class ResultTooLarge(MutuError):
    """A query result with more rows (or triples) than MUTU_MAX_ROWS; nothing is sent."""

    status = 422


class QueryTimeout(MutuError):
    """A query ran past its deadline; its evaluation was stopped (the worker was killed)."""

    status = 504


class ServiceBusy(MutuError):
    """Too many queries at once, or an operation cut short by a worker restart: retry soon."""

    status = 503
    retry_after = 1


class StoreRestarted(ServiceBusy):
    """The store worker was killed (another query's deadline) under a write; nothing was written."""


class Unauthorized(MutuError):
    """No token where one is needed, or a wrong or revoked token (sent with WWW-Authenticate)."""

    status = 401
    www_authenticate = 'Bearer realm="mutu"'
