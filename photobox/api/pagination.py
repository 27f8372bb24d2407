from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param


class PageOrOffsetPagination(LimitOffsetPagination):
    """`?page=2&limit=50` (pages from 1) or the usual `?limit=50&offset=50`; `page` wins when
    both are given. At most 100 rows per page; `page` and `limit` are echoed in the answer."""

    default_limit = 20
    max_limit = 100
    page_query_param = "page"
    max_page = 1_000_000
    page = None

    def get_offset(self, request):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            self.page = None
            return super().get_offset(request)
        try:
            page = int(raw)
        except ValueError:
            page = 0
        if not 1 <= page <= self.max_page:
            raise exceptions.ValidationError(
                {
                    self.page_query_param: [
                        gettext("A whole number from 1 to %(max)s.") % {"max": f"{self.max_page:,}"}
                    ]
                }
            )
        self.page = page
        return (page - 1) * self.limit

    def _page_link(self, page: int) -> str:
        url = replace_query_param(
            self.request.build_absolute_uri(), self.limit_query_param, self.limit
        )
        url = remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.page_query_param, page)

    def get_next_link(self):
        if self.page is None:
            return super().get_next_link()
        if self.offset + self.limit >= self.count:
            return None
        return self._page_link(self.page + 1)

    def get_previous_link(self):
        if self.page is None:
            return super().get_previous_link()
        if self.page <= 1:
            return None
        return self._page_link(self.page - 1)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["page"] = self.offset // self.limit + 1
        response.data["limit"] = self.limit
        return response

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"]["page"] = {"type": "integer", "example": 1}
        result["properties"]["limit"] = {"type": "integer", "example": 20}
        return result

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number from 1 (pages of `limit` rows); wins over offset.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page},
            },
        ]
