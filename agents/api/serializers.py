import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import Agent, Event
from j1msky.api.parsers import BadText, json_loads

MAX_BATCH = 50

TASK_MAX = 2000


class JSONObjectField(serializers.JSONField):
    """A small JSON object; in a form body it arrives as a JSON string."""

    default_error_messages = {"not_object": "Must be a JSON object", "too_big": "At most 4 KB"}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json_loads(data)
            except BadText as exc:
                raise serializers.ValidationError(str(exc)) from None
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("not_object")
        if len(json.dumps(data)) > 4096:
            self.fail("too_big")
        return data


class TaskField(serializers.CharField):
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


class SpawnSerializer(SpawnCommon):
    model = serializers.CharField(max_length=40, default="k2p5")


class SpawnTeamSerializer(SpawnCommon):
    team = serializers.CharField(max_length=40, error_messages={"required": "Team is required"})


class SpawnBatchSerializer(serializers.Serializer):
    agents = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=MAX_BATCH, allow_empty=False
    )

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


class SpawnedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    agent_id = serializers.CharField()
    model = serializers.CharField()
    requested_model = serializers.CharField(required=False)
    status = serializers.CharField()
    estimated_cost = serializers.DecimalField(max_digits=14, decimal_places=4)
    simulated = serializers.BooleanField()


class TeamSpawnedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    agent_id = serializers.CharField()
    team = serializers.CharField()
    models = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    estimated_cost = serializers.DecimalField(max_digits=14, decimal_places=4)
    simulated = serializers.BooleanField()


class BatchResultSerializer(serializers.Serializer):
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
    cost = serializers.DecimalField(source="actual_cost", max_digits=14, decimal_places=4)
    usage = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

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
            "usage",
            "progress",
            "error",
            "simulated",
            "steps",
            "metadata",
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
    total_cost_today = serializers.DecimalField(max_digits=14, decimal_places=4)


class CancelledSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    agent_id = serializers.CharField()
    status = serializers.CharField()
    refund = serializers.DecimalField(max_digits=14, decimal_places=4)


class EventSerializer(serializers.ModelSerializer):
    agent_id = serializers.CharField(allow_null=True)

    class Meta:
        model = Event
        fields = ["id", "type", "created_at", "agent_id", "data"]
