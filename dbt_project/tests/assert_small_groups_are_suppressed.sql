-- The privacy floor holds: no average rating or anonymous-feedback count is
-- shown for fewer than min_group_size people, and none is withheld above it.

{%- set floor = impraise_min_group_size() %}
{#- (mart, row id, suppression flag) of the marts that average ratings -#}
{%- set rating_marts = [
    ('review_topic_ratings', 'review_topic_id', 'is_suppressed'),
    ('review_cycle_summary', 'review_id', 'is_avg_rating_suppressed'),
] %}

{% for mart, row_id, is_suppressed in rating_marts %}
    select
        '{{ mart }}' as model,
        {{ row_id }} as row_id
    from {{ ref(mart) }}
    where
        (raters_count < {{ floor }} and (avg_rating is not null or not {{ is_suppressed }}))
        or (raters_count >= {{ floor }} and (avg_rating is null or {{ is_suppressed }}))

    union all
{% endfor %}

select
    'team_engagement_monthly' as model,
    team_month_id as row_id
from {{ ref('team_engagement_monthly') }}
where is_anonymous_feedback_suppressed and anonymous_feedback_received is not null
