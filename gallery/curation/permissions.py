"""Who curates: members of the `curators` group, and staff. The same check guards the pages
(anonymous visitors are sent to log in, others get 403) and the API (403 for both)."""
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from rest_framework import permissions

from gallery.curation.errors import NOT_A_CURATOR

CURATORS_GROUP = "curators"  # created by migration gallery 0005


def is_curator(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.groups.filter(name=CURATORS_GROUP).exists()


class CuratorRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """For curators' pages: log in first; a logged-in visitor who is not a curator gets 403."""

    permission_denied_message = NOT_A_CURATOR

    def test_func(self) -> bool:
        return is_curator(self.request.user)


class IsCurator(permissions.BasePermission):
    message = NOT_A_CURATOR

    def has_permission(self, request, view) -> bool:
        return is_curator(request.user)


class IsCuratorOrReadOnly(IsCurator):
    """Anyone reads (what they may see is the selectors' business); curators write."""

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or is_curator(request.user)
