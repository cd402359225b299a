from j1msky.api.routers import Router
from security.api import views

router = Router()
router.register("keys", views.ApiKeyViewSet, basename="key")

urlpatterns = router.urls
