"""bench/intake_api.py's URLconf: the product's URLs plus /bench/minimal/, the smallest Django
view that inserts one row (the yardstick the intake API is compared with). Bench only."""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as product_urlpatterns

TABLE_SQL = """CREATE TABLE IF NOT EXISTS bench_minimal (
    id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"""


@csrf_exempt
@require_POST
def minimal(request):
    """Parse the JSON body and insert it as one row; answer its id."""
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_minimal (body) VALUES (%s) RETURNING id",
                       [json.dumps(body, ensure_ascii=False)])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


class FloorSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=20)
    external_ref = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=4000)
    customer = serializers.DictField()


class DrfFloor(APIView):
    """The floor of any authenticated DRF endpoint: the product's authentication and permission
    classes, a serializer, one INSERT. No product code could answer faster."""

    def post(self, request):
        serializer = FloorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_minimal (body) VALUES (%s) RETURNING id",
                           [json.dumps(serializer.validated_data, ensure_ascii=False)])
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=201)


urlpatterns = [path("bench/minimal/", minimal), path("bench/drf-floor/", DrfFloor.as_view()),
               *product_urlpatterns]
