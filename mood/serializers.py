from rest_framework import serializers

from .models import MoodClassification


class MoodSerializer(serializers.ModelSerializer):
    uncertain = serializers.BooleanField(read_only=True, help_text="the model doubts its answer (the page says so)")

    class Meta:
        model = MoodClassification
        fields = ["id", "audio_file", "job", "primary_mood", "confidence", "uncertain", "mood_scores", "valence",
                  "arousal", "tags", "audio_features", "model_version", "created_at"]
