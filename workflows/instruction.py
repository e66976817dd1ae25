"""The agent card's instruction, written from the workflow's steps rather than the raw request."""

from __future__ import annotations

from workflows.models import WorkflowStep

_VERBS = {"read": "Read", "do": "Do", "deliver": "Deliver"}


def write_instruction(task: str, steps: list[WorkflowStep], trigger: str) -> str:
    """A system instruction: when it runs, each step with its servers, and where results go."""
    lines = [
        "You carry out one workflow for the user, the same way each time you are run.",
        f"When: {trigger}.",
        f"Task: {task}",
    ]
    if steps:
        lines.append("Steps, in order:")
        for number, step in enumerate(steps, start=1):
            using = f" (with {', '.join(step.servers)})" if step.servers else ""
            lines.append(f"{number}. {_VERBS[step.kind]}: {step.description}{using}")
    delivery = [s.description for s in steps if s.kind == "deliver"]
    if delivery:
        lines.append(f"Deliver the result as the last step: {'; '.join(delivery)}.")
    lines.append(
        "Your final answer is stored as the run's output for the user to read: say what you "
        "did and what you found, briefly. If a tool fails, say which and why."
    )
    return "\n".join(lines)
