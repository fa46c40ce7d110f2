"""Full-text search over reports' non-personal text (never modus operandi, concealment detail or parties)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery
from django.db import connection

from .models import Report, ReportItem

SEARCH_CONFIG = "simple"  # reports are written in many languages; no stemming

# The search vector of report row ``r``: its reference (weight A), place and office (B), and its
# items' descriptions and brands (C). One definition, used by the services and by the demo seeder.
SEARCH_VECTOR_SQL = f"""(
    setweight(to_tsvector('simple', coalesce(r.national_reference, '')), 'A')
    || setweight(to_tsvector('simple', coalesce(r.place, '') || ' ' || coalesce(r.customs_office, '')), 'B')
    || setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(i.description || ' ' || i.brand, ' ')
        FROM {ReportItem._meta.db_table} AS i WHERE i.report_id = r.id
    ), '')), 'C')
)"""  # noqa: S608 - the table name from the model, no user input

_REFRESH_SQL = f"UPDATE {Report._meta.db_table} AS r SET search_vector = {SEARCH_VECTOR_SQL} WHERE r.id = ANY(%s)"  # noqa: S608 - no user input in the SQL text


def refresh_search_vectors(report_ids: Iterable[int]) -> None:
    """Recompute the search vector of these reports from their current text and items (one statement)."""
    ids = list(report_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [ids])


def search_query(text: str) -> SearchQuery:
    """What a user typed, as a web-search style query (quotes, OR, -word)."""
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
