"""The Permissions-Policy header: every feature in settings.PERMISSIONS_POLICY is off for every
page (`feature=()`), for this site and whatever it might embed. The Content-Security-Policy is
django-csp's (settings.CONTENT_SECURITY_POLICY)."""
from django.conf import settings


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.header)
        return response
