import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from complaints import services
from complaints.models import Category, Channel, Customer, Department, DepartmentLevel


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "张"
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = "陈晓明"
    phone = factory.Sequence(lambda n: f"1380013{n:04d}")
    email = "chenxm@example.com"
    id_number = "110101199003071234"
    service_number = factory.Sequence(lambda n: f"1380013{n:04d}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"客户服务中心{n}")
    level = DepartmentLevel.CITY


def make_complaint(*, customer=None, channel=Channel.PHONE, received_at=None, actor=None,
                   description="手机信号很差，经常掉线，已经一个星期了。", **kwargs):
    """A complaint created through the real service, as intake would."""
    return services.complaint_create(
        customer=customer or CustomerFactory(), channel=channel, subject="",
        description=description, received_at=received_at or timezone.now(), actor=actor,
        **kwargs)


def category(code: str) -> Category:
    return Category.objects.get(code=code)


# The first bytes of a PNG image: enough for content-type detection of an upload.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
