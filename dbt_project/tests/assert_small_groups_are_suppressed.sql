-- The privacy floor holds: no average rating or anonymous-feedback count is
-- shown for fewer than min_group_size people, and none is withheld above it.

{%- set floor = impraise_min_group_size() %}

select
    'review_topic_ratings' as model,
    review_topic_id as row_id
from {{ ref('review_topic_ratings') }}
where
    (raters_count < {{ floor }} and (avg_rating is not null or not is_suppressed))
    or (raters_count >= {{ floor }} and (avg_rating is null or is_suppressed))

union all

select
    'review_cycle_summary' as model,
    review_id as row_id
from {{ ref('review_cycle_summary') }}
where
    (raters_count < {{ floor }} and (avg_rating is not null or not is_avg_rating_suppressed))
    or (raters_count >= {{ floor }} and is_avg_rating_suppressed)

union all

select
    'team_engagement_monthly' as model,
    team_month_id as row_id
from {{ ref('team_engagement_monthly') }}
where is_anonymous_feedback_suppressed and anonymous_feedback_received is not null
