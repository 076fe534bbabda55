{#- The feedback network at its finest grain: one row per feedback item and
    (giving team, receiving team) it is credited to (doc block
    team_flow_counting), with the teams' current names and their departments
    (int_teams__departments). Person-level (it keeps
    who gave and who received), so it is for analysts; the metrics count its
    distinct givers and receivers over whatever period is asked, which the
    monthly team_feedback_flows cannot. -#}

with

credits as (

    select
        team_credit_id,
        feedback_id,
        created_at,
        month,
        giver_team_id,
        receiver_team_id,
        sender_id,
        recipient_id
    from {{ ref('int_feedback__team_credits') }}

),

teams as (

    select
        team_id,
        team_name
    from {{ ref('dim_teams') }}

),

departments as (

    select
        team_id,
        department_team_id,
        department_name
    from {{ ref('int_teams__departments') }}

)

select
    credits.team_credit_id,
    credits.feedback_id,
    credits.created_at,
    credits.month,
    credits.giver_team_id,
    giver_teams.team_name as giver_team_name,
    credits.receiver_team_id,
    receiver_teams.team_name as receiver_team_name,
    credits.giver_team_id = credits.receiver_team_id as is_within_team,
    giver_departments.department_team_id as giver_department_id,
    giver_departments.department_name as giver_department_name,
    receiver_departments.department_team_id as receiver_department_id,
    receiver_departments.department_name as receiver_department_name,
    credits.sender_id,
    credits.recipient_id
from credits
-- teams that still exist (as in team_feedback_flows)
inner join teams as giver_teams
    on credits.giver_team_id = giver_teams.team_id
inner join teams as receiver_teams
    on credits.receiver_team_id = receiver_teams.team_id
-- each team's department up the team tree (var department_depth)
left join departments as giver_departments
    on credits.giver_team_id = giver_departments.team_id
left join departments as receiver_departments
    on credits.receiver_team_id = receiver_departments.team_id
