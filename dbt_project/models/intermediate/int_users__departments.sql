{#- Each user's department, through their home team: of the teams they are in
    now, the deepest in the team tree (the most specific: a manager's own team
    rather than the one they sit in with their peers, a squad rather than a
    guild), the lowest team_id between equals. Users in no team have no row. -#}

with

memberships as (

    select
        user_teams.user_id,
        user_teams.team_id,
        departments.team_depth,
        departments.department_team_id,
        departments.department_name
    from {{ ref('stg_impraise__user_teams') }} as user_teams
    inner join {{ ref('int_teams__departments') }} as departments
        on user_teams.team_id = departments.team_id

),

ranked as (

    select
        user_id,
        team_id,
        department_team_id,
        department_name,
        row_number() over (
            partition by user_id
            order by team_depth desc, team_id asc
        ) as team_rank
    from memberships

)

select
    user_id,
    team_id as home_team_id,
    department_team_id,
    department_name
from ranked
where team_rank = 1
