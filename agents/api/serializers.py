from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.api.fields import JSONObjectField
from agents.api.privacy import AgentPrivacySerializer, PrivacyField
from agents.models import Agent
from agents.selectors import model_alias_names, team_names, team_step_models
from agents.services import SpawnRequest
from j1msky.api.errors import as_domain_error
from j1msky.api.fields import CatalogueText, Cost, Text
from j1msky.api.parsers import BadText, json_loads
from j1msky.errors import DomainError

MAX_BATCH = 50

TASK_MAX = 2000


class TaskField(Text):
    def __init__(self, **kwargs):
        super().__init__(
            trim_whitespace=True,
            error_messages={
                "required": "Task cannot be empty",
                "blank": "Task cannot be empty",
                "null": "Task cannot be empty",
                "max_length": f"Task exceeds {TASK_MAX} characters",
            },
            max_length=TASK_MAX,
            **kwargs,
        )


PRIORITY_ERROR = {"invalid_choice": "Priority must be one of: low, normal, high"}


class SpawnCommon(serializers.Serializer):
    task = TaskField()
    priority = serializers.ChoiceField(
        choices=Agent.Priority.choices, default="normal", error_messages=PRIORITY_ERROR
    )
    timeout = serializers.IntegerField(min_value=10, max_value=3600, default=300)
    max_tokens = serializers.IntegerField(min_value=1, max_value=200_000, required=False)
    fallback = serializers.BooleanField(default=True)
    metadata = JSONObjectField(required=False)
    privacy = PrivacyField(required=False)


class SpawnSerializer(SpawnCommon):
    model = CatalogueText(catalogue=model_alias_names, max_length=40, default="k2p5")


class SpawnTeamSerializer(SpawnCommon):
    team = CatalogueText(
        catalogue=team_names, max_length=40, error_messages={"required": "Team is required"}
    )


class SpawnBatchSerializer(serializers.Serializer):
    agents = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=MAX_BATCH, allow_empty=False
    )

    @staticmethod
    def item_count(data, *, limit: int) -> int:
        """How many spawns a batch body asks for (1 when it is not a list; at most `limit`),
        read before validation so that the rate limit counts each item."""
        try:
            agents = data.get("agents")
            if isinstance(agents, str):
                agents = json_loads(agents)
        except (AttributeError, ValueError):
            return 1
        return min(max(len(agents), 1), limit) if isinstance(agents, list) else 1

    def to_internal_value(self, data):
        raw = data.get("agents") if hasattr(data, "get") else None
        if isinstance(raw, str):
            try:
                data = {"agents": json_loads(raw)}
            except BadText as exc:
                raise serializers.ValidationError({"agents": [str(exc)]}) from None
            except ValueError:
                raise serializers.ValidationError({"agents": ["Must be a JSON array"]}) from None
        return super().to_internal_value(data)


def spawn_item_request(item: dict) -> SpawnRequest | DomainError:
    """One batch item, validated as a spawn (or a team spawn when it names a team): the
    request to admit, or the error that refuses it."""
    params = (SpawnTeamSerializer if "team" in item else SpawnSerializer)(data=item)
    try:
        params.is_valid(raise_exception=True)
    except serializers.ValidationError as exc:
        return as_domain_error(exc)
    return SpawnRequest(**params.validated_data)


class SpawnedSerializer(serializers.ModelSerializer):
    """`POST /spawn` → 201: the admitted agent. `requested_model` only when a fallback was
    taken."""

    success = serializers.SerializerMethodField()
    model = serializers.CharField(source="model_id")
    requested_model = serializers.CharField(required=False)
    estimated_cost = Cost()

    class Meta:
        model = Agent
        fields = [
            "success",
            "agent_id",
            "model",
            "requested_model",
            "status",
            "estimated_cost",
            "simulated",
        ]

    def get_success(self, agent) -> bool:
        return True

    def to_representation(self, agent):
        body = super().to_representation(agent)
        if agent.requested_model == agent.model_id:
            body.pop("requested_model")
        return body


class TeamSpawnedSerializer(serializers.ModelSerializer):
    """`POST /spawn-team` → 201: the team agent, its members (model aliases, in step order) and
    those models as `provider/upstream-model`."""

    success = serializers.SerializerMethodField()
    team = serializers.CharField(source="team_id")
    members = serializers.SerializerMethodField()
    models = serializers.SerializerMethodField()
    estimated_cost = Cost()

    class Meta:
        model = Agent
        fields = [
            "success",
            "agent_id",
            "team",
            "members",
            "models",
            "status",
            "estimated_cost",
            "simulated",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_members(self, agent) -> list[str]:
        return [step["model"] for step in agent.steps]

    def get_success(self, agent) -> bool:
        return True

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_models(self, agent) -> list[str]:
        return team_step_models([step["model"] for step in agent.steps])


class BatchResultSerializer(serializers.Serializer):
    """`POST /spawn-batch` → 200: each item's 201 body or its error envelope, in order."""

    success = serializers.BooleanField()
    results = serializers.ListField(child=serializers.DictField())


class AgentListSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_id")
    team = serializers.CharField(source="team_id", allow_null=True)

    class Meta:
        model = Agent
        fields = [
            "agent_id",
            "model",
            "requested_model",
            "status",
            "task",
            "team",
            "priority",
            "created_at",
            "started_at",
            "completed_at",
            "estimated_cost",
            "actual_cost",
            "simulated",
        ]


class UsageSerializer(serializers.Serializer):
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    output_tokens = serializers.IntegerField()


class ErrorSerializer(serializers.Serializer):
    type = serializers.CharField()
    message = serializers.CharField()


class AgentDetailSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_id")
    team = serializers.CharField(source="team_id", allow_null=True)
    created = serializers.DateTimeField(source="created_at")
    started = serializers.DateTimeField(source="started_at", allow_null=True)
    completed = serializers.DateTimeField(source="completed_at", allow_null=True)
    cost = Cost(source="actual_cost")
    usage = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    steps = serializers.ListField(child=serializers.DictField(), read_only=True)
    privacy = AgentPrivacySerializer(source="*", read_only=True)

    class Meta:
        model = Agent
        fields = [
            "agent_id",
            "model",
            "requested_model",
            "team",
            "status",
            "task",
            "priority",
            "timeout",
            "max_tokens",
            "created",
            "started",
            "completed",
            "result",
            "cost",
            "estimated_cost",
            "reserved_cost",
            "refund",
            "usage",
            "progress",
            "error",
            "simulated",
            "steps",
            "metadata",
            "privacy",
        ]

    @extend_schema_field(UsageSerializer)
    def get_usage(self, agent):
        return {"input_tokens": agent.input_tokens, "output_tokens": agent.output_tokens}

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, agent):
        """Output tokens received so far (live while running)."""
        return {"output_tokens": max(agent.progress_tokens, agent.output_tokens)}

    @extend_schema_field(ErrorSerializer(allow_null=True))
    def get_error(self, agent):
        if not agent.error_type:
            return None
        return {"type": agent.error_type, "message": agent.error_message}


class ActiveAgentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_id")

    class Meta:
        model = Agent
        fields = ["agent_id", "model", "status", "task", "priority", "created_at", "started_at"]


class ActiveAgentsSerializer(serializers.Serializer):
    agents = ActiveAgentSerializer(many=True)
    count = serializers.IntegerField()
    total_cost_today = Cost()


class CancelQuerySerializer(serializers.Serializer):
    purge = serializers.BooleanField(
        default=False,
        help_text="Erase the agent's task and result now (cancelling it first if it has not "
        "ended); its cost stays.",
    )


class CancelledSerializer(serializers.ModelSerializer):
    """`DELETE /agent/{id}`: cancelled at once (a waiting agent, with its refund), or cancelling
    (a running one; its worker ends it, and the refund shows on the agent once it has)."""

    success = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    refund = Cost()

    class Meta:
        model = Agent
        fields = ["success", "message", "agent_id", "status", "refund"]

    def get_success(self, agent) -> bool:
        return True

    @extend_schema_field({"type": "string", "enum": ["Agent cancelled", "Agent cancelling"]})
    def get_message(self, agent) -> str:
        return "Agent cancelled" if agent.status == Agent.Status.CANCELLED else "Agent cancelling"


class PurgedSerializer(CancelledSerializer):
    """`DELETE /agent/{id}?purge=true`: the content erased; an agent that had not ended is
    cancelled (`status` shows where that stands)."""

    class Meta(CancelledSerializer.Meta):
        fields = [*CancelledSerializer.Meta.fields, "content_erased_at"]

    @extend_schema_field({"type": "string", "enum": ["Agent content erased"]})
    def get_message(self, agent) -> str:
        return "Agent content erased"


class RateLimitWindowSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    reset_at = serializers.DateTimeField(help_text="End of the current UTC clock hour.")


class RateLimitsSerializer(serializers.Serializer):
    """`GET /rate-limits`: `{limits: {provider id: window}}` from a list of windows."""

    limits = serializers.DictField(
        child=RateLimitWindowSerializer(), help_text="Every provider's current hourly window."
    )

    def to_representation(self, instance):
        windows = {window.provider: window for window in instance["limits"]}
        return super().to_representation({"limits": windows})
