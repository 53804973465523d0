from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import health, views

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    re_path(r"^admin/complaints/(?P<model>%s)/(?P<rest>.*)$" % "|".join(views.MOVED_ADMIN_MODELS),
            views.moved_admin),
    path("admin/", admin.site.urls),
    path("", include("intake.public_urls")),
    path("", include("intake.entry_urls")),
    path("desk/", include("desk.urls")),
    path("", include("workspace.urls")),
    path("", include("followup.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/reports/", include("reports.urls_api")),
    path("api/v1/", include("complaints.urls_api")),
    path("api/v1/", include("notifications.urls_api")),
    path("", include("intake.urls")),
    path("api/v1/", include("sla.urls_api")),
    path("desk/", include("sla.urls")),
    path("settings/sla/", include("sla.config_urls")),
    path("outbox/", include("notifications.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
         name="api-docs"),
]
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

# Uploaded files hold personal data: they are never served from MEDIA_URL, not even in DEBUG.
# Every download goes through a view that checks who is asking.
