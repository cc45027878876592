"""Text tools shared by the packages that read messages: the linear classifiers over sentence
vectors and hashed words (used by `coach.safety` and `coach.understanding`)."""
