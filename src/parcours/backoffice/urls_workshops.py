"""Staff URLs of the workshops module (namespace backoffice)."""

urlpatterns: list = []
