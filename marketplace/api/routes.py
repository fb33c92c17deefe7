"""One decorator for the usual API operation: what it reads, what it answers, its token."""

from .auth import token_required


def operation(blp, answer, *, body=None, query=None, status: int = 200, token: bool = True):
    """`body` or `query`: the schema of the JSON body or of the query the view is given;
    `answer`: the schema of its answer (with `status`); `token`: it needs a bearer token."""

    def decorator(view):
        if token:
            view = token_required(view)
        view = blp.response(status, answer)(view)
        if body is not None:
            view = blp.arguments(body)(view)
        if query is not None:
            view = blp.arguments(query, location="query")(view)
        return view

    return decorator


def endpoint(blp, rule: str, answer, *, methods=("GET",), **kwargs):
    """A view function's `operation` at `rule` of `blp`."""

    def decorator(view):
        return blp.route(rule, methods=list(methods))(operation(blp, answer, **kwargs)(view))

    return decorator
