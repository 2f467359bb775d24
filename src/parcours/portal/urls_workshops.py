"""Public URLs of the workshops module (namespace portal)."""

urlpatterns: list = []
