"""Lists answered a page at a time: the `page` and `per_page` query, and the answer
{items, page, per_page, total}."""

from marshmallow import Schema, fields, validate


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def page_schema(item_schema, name: str):
    """A list answer: {items, page, per_page, total}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True),
    }, name=name)


def paged(blp, answer_schema, query_schema=PageQuerySchema):
    """The view takes the paging query (`query_schema`, filters besides) and answers a page."""

    def decorator(view):
        return blp.arguments(query_schema, location="query")(
            blp.response(200, answer_schema)(view))

    return decorator


def offset(query: dict) -> int:
    return (query["page"] - 1) * query["per_page"]


def page_of(query: dict, items: list, total: int) -> dict:
    """The answer: `items` is the asked page already."""
    return {"items": items, "page": query["page"], "per_page": query["per_page"],
            "total": total}


def page_in(query: dict, rows: list) -> dict:
    """The answer for the asked page of all the `rows`."""
    start = offset(query)
    return page_of(query, rows[start:start + query["per_page"]], len(rows))
