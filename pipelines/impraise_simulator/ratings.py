"""How people rate in reviews: the habits a calibration session looks for.

Every rating starts from the organisation's spread of ratings (`BASE_RATINGS` with
`BASE_WEIGHTS`), drawn by the review's own stream so the rest of a review stays as it
was. Two habits then move it, drawn from a stream of their own:
- people rate themselves higher than others do: a self rating is one point up with
  probability SELF_INFLATION;
- managers differ in leniency: each user, should they rate reports, is lenient (+1),
  strict (-1) or neither, and a manager's rating moves by that with probability
  LENIENCY_STRENGTH, so managers' means spread more than chance alone would spread them.
"""

from __future__ import annotations

import random

BASE_RATINGS, BASE_WEIGHTS = (1, 2, 3, 4, 5), (3, 8, 30, 40, 19)
SELF_INFLATION = 0.35
LENIENCY, LENIENCY_WEIGHTS = (-1, 0, 1), (25, 50, 25)
LENIENCY_STRENGTH = 0.6


class RatingHabits:
    """Each user's leniency as a manager, and the moves a rating gets from its rater."""

    def __init__(self, user_count: int, rng: random.Random) -> None:
        self._rng = rng
        self._leniency = [rng.choices(LENIENCY, LENIENCY_WEIGHTS)[0] for _ in range(user_count)]

    def rating(self, base: int, reviewer: int, relationship: str) -> int:
        """The rating `reviewer` gives in `relationship`, from `base`."""
        move = 0
        if relationship == "self" and self._rng.random() < SELF_INFLATION:
            move = 1
        elif relationship == "manager" and self._rng.random() < LENIENCY_STRENGTH:
            move = self._leniency[reviewer]  # a manager task always has its reviewer
        return min(BASE_RATINGS[-1], max(BASE_RATINGS[0], base + move))
