"""Map top-level categories to the demo organisation's departments (seed_demo's codes), so a
demo routes new complaints out of the box. Departments that do not exist are skipped."""

from django.core.management.base import BaseCommand

from complaints.models import Category, Department
from intake.models import CategoryRoute, DepartmentRouting

DEMO_ROUTES = {
    "network": "gd-noc", "billing": "gd-billing", "business": "gd-marketing",
    "service": "gd-csc", "product": "gd-csc", "security": "gd-csc", "other": "gd-csc",
}
AUTO_ASSIGN = ("gd-csc", "gd-billing")  # the others take complaints from their queue


class Command(BaseCommand):
    help = "Route categories to the demo departments (gd-noc, gd-billing, gd-marketing, gd-csc)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing if any category route exists.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and CategoryRoute.objects.exists():
            self.stdout.write("Category routes exist; nothing changed.")
            return
        departments = Department.objects.in_bulk(
            set(DEMO_ROUTES.values()), field_name="code")
        routed = 0
        for code, department_code in DEMO_ROUTES.items():
            department = departments.get(department_code)
            category = Category.objects.filter(code=code).first()
            if department and category:
                CategoryRoute.objects.update_or_create(category=category,
                                                       defaults={"department": department})
                routed += 1
        for code in AUTO_ASSIGN:
            if code in departments:
                DepartmentRouting.objects.update_or_create(department=departments[code],
                                                           defaults={"auto_assign": True})
        self.stdout.write(f"Routed {routed} categories to the demo departments.")
