"""A policy pack with one resource policy that does nothing: what any Python pack costs a
preview (the analyzer process, one Analyze call per resource, one AnalyzeStack)."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    return None


PolicyPack(
    name="bench-noop",
    policies=[
        ResourceValidationPolicy(
            name="bench-noop",
            description="Does nothing.",
            enforcement_level=EnforcementLevel.ADVISORY,
            validate=validate,
        )
    ],
)
