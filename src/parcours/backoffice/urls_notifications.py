"""Staff URLs of the notifications module (namespace backoffice)."""

urlpatterns: list = []
