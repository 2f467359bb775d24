"""Staff URLs of the protection module (namespace backoffice)."""

urlpatterns: list = []
