"""One view that fails for a missing page."""

from django.http import HttpRequest, JsonResponse
from django.urls import path


def read_page(request: HttpRequest, page_id: str) -> JsonResponse:
    if page_id == "missing":
        raise LookupError(f"no page {page_id}")
    return JsonResponse({"id": page_id})


urlpatterns = [path("pages/<str:page_id>", read_page, name="read-page")]
