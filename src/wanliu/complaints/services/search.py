"""Full-text search of work orders: PostgreSQL full-text search (``django.contrib.postgres``
with a GIN index) when the database is PostgreSQL, an SQLite FTS5 table (trigram
tokenizer) otherwise.

Every order keeps ``search_document``: its number, subject, text, customer, line,
messages and result, lower-cased, with punctuation removed and each Chinese character
standing alone, so that the PostgreSQL ``simple`` parser sees one token per character and
a Chinese phrase becomes a phrase query. The FTS5 table mirrors the document; services
call :func:`search_index_update` after every change to the text.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from wanliu.complaints.models import OrderMessage, WorkOrder

FTS_TABLE = "complaints_workorder_fts"
_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_NON_WORD = re.compile(r"[^\w]+")


def segmented(text: str) -> str:
    """``"Wi-Fi 信号差!"`` → ``"wi fi 信 号 差"``."""
    spaced = _CJK.sub(r" \1 ", _NON_WORD.sub(" ", text.lower()).replace("_", " "))
    return " ".join(spaced.split())


def document_for(order: WorkOrder) -> str:
    parts = [
        order.order_no or "",
        order.title,
        order.description,
        order.customer.name,
        order.customer.customer_no,
        order.line.number if order.line else "",
        order.contact_phone,
        order.resolution,
        *OrderMessage.objects.filter(order=order).values_list("body", flat=True),
    ]
    return segmented(" ".join(p for p in parts if p))


def search_index_update(*, order: WorkOrder) -> None:
    """Refresh the order's search document (and the FTS5 row on SQLite)."""
    document = document_for(order)
    WorkOrder.objects.filter(pk=order.pk).update(search_document=document)
    order.search_document = document
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [order.pk])
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, document) VALUES (%s, %s)", [order.pk, document]
            )


def search_index_rebuild() -> int:
    """Rebuild every order's document (after an import or a restore)."""
    count = 0
    for order in WorkOrder.objects.select_related("customer", "line").iterator():
        search_index_update(order=order)
        count += 1
    return count


def _terms(text: str) -> list[str]:
    return [s for s in (segmented(word) for word in text.split()) if s]


def _tsquery(term: str) -> str:
    """One term as a PostgreSQL phrase query; the last token matches as a prefix."""
    tokens = term.split()
    return " <-> ".join([*tokens[:-1], tokens[-1] + ":*"])


def work_order_search(queryset: QuerySet[WorkOrder], text: str) -> QuerySet[WorkOrder]:
    """Orders of ``queryset`` whose document holds every word of ``text``."""
    terms = _terms(text)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        query = " & ".join(f"({_tsquery(term)})" for term in terms)
        # The same expression as the GIN index of migration 0002, so the index serves it.
        return queryset.annotate(
            search_vector=SearchVector("search_document", config="simple")
        ).filter(search_vector=SearchQuery(query, search_type="raw", config="simple"))
    long_terms = [t for t in terms if len(t) >= 3]
    for term in terms:
        if len(term) < 3:  # shorter than a trigram: a plain substring test
            queryset = queryset.filter(search_document__contains=term)
    if long_terms:
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        queryset = queryset.filter(
            pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
        )
    return queryset
