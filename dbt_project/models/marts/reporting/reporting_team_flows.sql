{#- Feedback between teams per month for the reporting role: only the flows whose
    count passes the privacy floor (team_feedback_flows withholds the others), and
    without the people counts, so that a row never says that feedback passed
    between fewer people than the floor. -#}

select
    team_flow_id,
    month,
    giver_team_id,
    giver_team_name,
    receiver_team_id,
    receiver_team_name,
    is_within_team,
    feedback_count
from {{ ref('team_feedback_flows') }}
where not is_feedback_count_suppressed
