from django.urls import path

from security.api import views

urlpatterns = [
    path("keys", views.KeyListCreateView.as_view(), name="key-list"),
    path("keys/<str:key_id>", views.KeyDetailView.as_view(), name="key-detail"),
    path("keys/<str:key_id>/rotate", views.KeyRotateView.as_view(), name="key-rotate"),
]
