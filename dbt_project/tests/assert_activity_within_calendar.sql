-- Every engagement event falls inside int_months (var calendar_start_date to
-- two years ahead); an event outside it would silently vanish from the marts.

select
    events.engagement_event_id,
    events.activity_month
from {{ ref('int_engagement__events') }} as events
left join {{ ref('int_months') }} as months
    on events.activity_month = months.month
where months.month is null
