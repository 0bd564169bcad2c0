"""The `[azure]` section: one lab, several labs, clouds, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.config import AzureLab, parse_config
from desktop.core.errors import BadConfig

PATH = Path("/home/me/.config/devtray/config.toml")
SUB = "00000000-0000-0000-0000-000000000000"
OTHER_SUB = "99999999-9999-9999-9999-999999999999"


def test_one_lab_as_in_the_issue() -> None:
    config = parse_config(
        f'[azure]\nsubscription = "{SUB}"\nresource_group = "dev-rg"\n'
        'lab = "devlab-westeurope"\ncloud = "AzureCloud"\n',
        PATH,
    )

    assert config.azure is not None
    assert config.azure.labs == (AzureLab(SUB, "dev-rg", "devlab-westeurope"),)
    assert config.azure.cloud == "AzureCloud"
    assert config.providers == ("azure",)


def test_several_labs_inherit_subscription_and_resource_group() -> None:
    config = parse_config(
        f'[azure]\nsubscription = "{SUB}"\nresource_group = "dev-rg"\nlab = "devlab-westeurope"\n'
        '[[azure.labs]]\nlab = "devlab-eastus"\nresource_group = "dev-rg-us"\n'
        f'[[azure.labs]]\nlab = "devlab-china"\nsubscription = "{OTHER_SUB}"\n',
        PATH,
    )

    assert config.azure is not None
    assert config.azure.labs == (
        AzureLab(SUB, "dev-rg", "devlab-westeurope"),
        AzureLab(SUB, "dev-rg-us", "devlab-eastus"),
        AzureLab(OTHER_SUB, "dev-rg", "devlab-china"),
    )


def test_aws_and_azure_together_use_both_providers() -> None:
    config = parse_config(
        f'[aws]\nregion = "eu-west-1"\n[azure]\nsubscription = "{SUB}"\n'
        'resource_group = "rg"\nlab = "lab"\n',
        PATH,
    )

    assert config.providers == ("aws", "azure")


def test_a_private_cloud_by_endpoints() -> None:
    config = parse_config(
        f'[azure]\nsubscription = "{SUB}"\nresource_group = "rg"\nlab = "lab"\n'
        'arm_endpoint = "https://management.local.azurestack.external/"\n'
        'authority = "https://adfs.local.azurestack.external/adfs"\n',
        PATH,
    )

    assert config.azure is not None
    assert config.azure.arm_endpoint == "https://management.local.azurestack.external"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('resource_group = "rg"\nlab = "lab"\n', "azure.subscription is missing"),
        (
            'subscription = "my-sub"\nresource_group = "rg"\nlab = "lab"\n',
            "must be a subscription id",
        ),
        (f'subscription = "{SUB}"\nlab = "lab"\n', "azure.resource_group is missing"),
        (f'subscription = "{SUB}"\nresource_group = "rg"\n', "no lab is configured"),
        (
            f'subscription = "{SUB}"\nresource_group = "rg"\nlab = "l"\ncloud = "AzureGermany"\n',
            "must be one of AzureCloud, AzureChinaCloud, AzureUSGovernment",
        ),
        (
            f'subscription = "{SUB}"\nresource_group = "rg"\nlab = "l"\n'
            'arm_endpoint = "https://arm.example"\n',
            "azure.authority is missing",
        ),
        (
            f'subscription = "{SUB}"\nresource_group = "rg"\nlab = "l"\n'
            'arm_endpoint = "http://arm.example"\nauthority = "https://login.example"\n',
            "must be an https:// URL",
        ),
        (
            f'subscription = "{SUB}"\nresource_group = "rg"\nlab = "l"\nlabz = "typo"\n',
            "unknown key azure.labz",
        ),
        (
            f'subscription = "{SUB}"\nresource_group = "rg"\nlab = "l"\n'
            '[[azure.labs]]\nlab = "L"\n',
            "names the lab 'l' twice",
        ),
        (
            f'subscription = "{SUB}"\nresource_group = "rg"\n[[azure.labs]]\nname = "x"\n',
            "azure.labs[0].lab is missing",
        ),
    ],
)
def test_mistakes_name_the_key(body: str, problem: str) -> None:
    with pytest.raises(BadConfig, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_config("[azure]\n" + body, PATH)
