from django.urls import path

from orders.till import views

app_name = "till"

urlpatterns = [
    path("", views.till, name="till"),
    path("orders/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("orders/<int:pk>/kitchen-ticket/", views.kitchen_ticket, name="kitchen-ticket"),
]
