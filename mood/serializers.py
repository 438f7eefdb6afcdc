from rest_framework import serializers

from .models import MoodClassification


class MoodSerializer(serializers.ModelSerializer):
    class Meta:
        model = MoodClassification
        fields = ["id", "audio_file", "job", "primary_mood", "confidence", "mood_scores", "valence", "arousal",
                  "tags", "audio_features", "model_version", "created_at"]
