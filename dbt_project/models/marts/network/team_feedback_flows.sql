{#- Feedback between teams, per month. Each item is credited to every team its
    giver was in and every team its recipient was in when it was given (user
    history; doc block team_flow_counting), so a person in several teams counts
    in each of them. The count is withheld below the privacy floor in distinct
    givers, or in distinct receivers (macros/privacy.sql): with one receiver, it
    would be what that person received from the team. -#}

{%- set smaller_group = 'least(flows.givers_count, flows.receivers_count)' %}

with

teams as (

    select
        team_id,
        team_name
    from {{ ref('dim_teams') }}

),

-- one row per item and (giving team, receiving team) pair it is credited to
credited as (

    select
        month,
        giver_team_id,
        receiver_team_id,
        sender_id,
        recipient_id
    from {{ ref('int_feedback__team_credits') }}

),

flows as (

    select
        month,
        giver_team_id,
        receiver_team_id,
        count(*) as feedback_items,
        count(distinct sender_id) as givers_count,
        count(distinct recipient_id) as receivers_count
    from credited
    group by
        month,
        giver_team_id,
        receiver_team_id

)

select
    {{ impraise_surrogate_key(['flows.month', 'flows.giver_team_id', 'flows.receiver_team_id']) }}
        as team_flow_id,
    flows.month,
    flows.giver_team_id,
    giver_teams.team_name as giver_team_name,
    flows.receiver_team_id,
    receiver_teams.team_name as receiver_team_name,
    flows.giver_team_id = flows.receiver_team_id as is_within_team,
    flows.givers_count,
    flows.receivers_count,
    {{ impraise_suppress_small_group('flows.feedback_items', smaller_group) }} as feedback_count,
    {{ impraise_is_small_group(smaller_group) }} as is_feedback_count_suppressed,
    -- between two different teams: did the receiving team give back that month?
    case
        when flows.giver_team_id != flows.receiver_team_id
            then reverse_flows.giver_team_id is not null
    end as is_reciprocated
from flows
-- teams that still exist (as in team_engagement_monthly)
inner join teams as giver_teams
    on flows.giver_team_id = giver_teams.team_id
inner join teams as receiver_teams
    on flows.receiver_team_id = receiver_teams.team_id
left join flows as reverse_flows
    on
        flows.month = reverse_flows.month
        and flows.giver_team_id = reverse_flows.receiver_team_id
        and flows.receiver_team_id = reverse_flows.giver_team_id
