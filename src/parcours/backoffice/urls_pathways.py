"""Staff URLs of the pathways module (namespace backoffice)."""

urlpatterns: list = []
