{#- One row per feedback item and (giving team, receiving team) it is credited
    to: every team its giver was in and every team its recipient was in when it
    was given (user history; doc block team_flow_counting). Flagged items count
    nowhere; anonymous items have no known giver, so no giving team. The one
    input of the team flows, monthly (team_feedback_flows) and over any period
    (fct_feedback_team_credits). -#}

with

feedback as (

    select
        feedback_id,
        sender_id,
        recipient_id,
        created_at,
        created_month
    from {{ ref('fct_feedback') }}
    where not is_flagged and sender_id is not null

),

memberships as (

    select
        user_id,
        team_id,
        attribution_from,
        attribution_to
    from {{ ref('int_users__team_membership_history') }}

)

select
    {{ impraise_surrogate_key([
        'feedback.feedback_id', 'giver_teams.team_id', 'receiver_teams.team_id'
    ]) }} as team_credit_id,
    feedback.feedback_id,
    feedback.created_at,
    feedback.created_month as month,
    giver_teams.team_id as giver_team_id,
    receiver_teams.team_id as receiver_team_id,
    feedback.sender_id,
    feedback.recipient_id
from feedback
inner join memberships as giver_teams
    on
        feedback.sender_id = giver_teams.user_id
        and {{ impraise_in_window('giver_teams', 'feedback.created_at') }}
inner join memberships as receiver_teams
    on
        feedback.recipient_id = receiver_teams.user_id
        and {{ impraise_in_window('receiver_teams', 'feedback.created_at') }}
