"""What OpenAPI 3.0 cannot state about a request, for schemathesis (loaded through
SCHEMATHESIS_HOOKS): generated bodies that break such a rule are left out instead of being
reported as valid requests the server refused. Everything a field or a body alone must satisfy
is in the document itself."""

from datetime import date, timedelta

import schemathesis

TEXTS = ("title", "summary", "description")


def _filled(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


@schemathesis.hook
def filter_body(context, body) -> bool:
    if not isinstance(body, dict):
        return True
    low, high = body.get("price_min"), body.get("price_max")
    # a listing's price range: the maximum is not below the minimum
    return not (isinstance(low, int) and isinstance(high, int) and high < low)


@schemathesis.hook("filter_body").apply_to(method="POST", path="/api/v1/deals")
def need_named_by_a_startup(context, body) -> bool:
    # the fuzzing user is a startup, and a startup opens a deal by proposing for a need
    return not isinstance(body, dict) or body.get("need_id") is not None


@schemathesis.hook("filter_body").apply_to(method="PATCH")
def change_valid_over_any_listing(context, body) -> bool:
    """A change is laid over the listing as it stands, so whether the result is complete
    depends on that listing: keep the changes that are valid over any listing."""
    if not isinstance(body, dict):
        return True
    complete, blanked = set(), set()
    for lang in ("ko", "en"):
        given = [body[f"{t}_{lang}"] for t in TEXTS if f"{t}_{lang}" in body]
        if not given:
            continue
        if len(given) < len(TEXTS) or len({_filled(v) for v in given}) > 1:
            return False  # part of a language
        (complete if _filled(given[0]) else blanked).add(lang)
    if blanked and not complete:
        return False  # the other language may be empty
    prices = [body.get(name) for name in ("price_min", "price_max")]
    if ("price_min" in body or "price_max" in body) and not (
            prices == [None, None] or all(isinstance(p, int) for p in prices)
            and isinstance(body.get("currency"), str)):
        return False  # the other bound or the currency may not fit
    if body.get("currency", "") is None:
        return False  # the listing may have a price
    wanted = {"applied": "patent_applications", "registered": "patent_registrations"}
    name = wanted.get(body.get("ip_status"))
    return name is None or bool(body.get(name))


@schemathesis.hook("filter_query").apply_to(method="GET", path="/api/v1/stats")
def period_in_order(context, query) -> bool:
    # a period's start is not after its end (ISO dates compare as strings)
    if not isinstance(query, dict):
        return True
    start, end = query.get("from"), query.get("to")
    return not (isinstance(start, str) and isinstance(end, str) and start > end)


def _recent(body, name: str, days: int) -> bool:
    """A date that is neither in the future nor more than `days` days ago."""
    try:
        day = date.fromisoformat(body[name])
    except (KeyError, TypeError, ValueError):
        return True
    return date.today() - timedelta(days=days) <= day <= date.today()


@schemathesis.hook("filter_body").apply_to(method="POST", path_regex=r"/transfer$")
def transfer_sent_lately(context, body) -> bool:
    # a transfer is declared as sent on a day that has passed, within the request's year
    return not isinstance(body, dict) or _recent(body, "paid_on", 300)


@schemathesis.hook("filter_body").apply_to(method="POST", path_regex=r"/tax-invoice$")
def invoice_issued_already(context, body) -> bool:
    # a tax invoice is recorded once it has been issued
    return not isinstance(body, dict) or _recent(body, "issued_on", 3650)


@schemathesis.hook("filter_case").apply_to(method="POST", path="/api/v1/saved-searches")
def readiness_range_in_order(context, case) -> bool:
    # a saved search's lowest readiness level is not above its highest (a case hook: the
    # coverage phase, which tries both bounds' extremes, applies no body hooks)
    body = case.body
    if not isinstance(body, dict):
        return True
    low, high = body.get("trl_min"), body.get("trl_max")
    return not (isinstance(low, int) and isinstance(high, int) and low > high)
