{#-
    Each team with its place in the team tree: its depth, its root and its
    department. The tree is walked by a fixed number of self-joins rather than a
    recursive CTE because Spark 3.5 has none (SPARK-24497, added in Spark 4.0);
    `team_tree_max_depth` bounds the walk and a test fails when a team sits deeper,
    or when parents loop.
-#}
{%- set max_depth = var('team_tree_max_depth') -%}
{%- set department_depth = var('department_depth') -%}

with

teams as (

    select
        team_id,
        team_name,
        parent_team_id
    from {{ ref('stg_impraise__teams') }}

),

-- A parent the API no longer serves ends the walk: the team is a root.
parent_links as (

    select
        child.team_id,
        parent.team_id as parent_team_id
    from teams as child
    inner join teams as parent
        on child.parent_team_id = parent.team_id

),

ancestors_0 as (

    select
        team_id,
        team_id as ancestor_id,
        0 as distance
    from teams

),

{%- for level in range(1, max_depth + 1) %}

    ancestors_{{ level }} as (

        select
            nearer.team_id,
            parent_links.parent_team_id as ancestor_id,
            {{ level }} as distance
        from ancestors_{{ level - 1 }} as nearer
        inner join parent_links
            on nearer.ancestor_id = parent_links.team_id

    ),
{%- endfor %}

ancestors as (

    {%- for level in range(0, max_depth + 1) %}
        select
            team_id,
            ancestor_id,
            distance
        from ancestors_{{ level }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

depths as (

    select
        team_id,
        max(distance) as team_depth
    from ancestors
    group by team_id

),

placed as (

    select
        depths.team_id,
        depths.team_depth,
        roots.ancestor_id as root_team_id,
        departments.ancestor_id as department_team_id
    from depths
    inner join ancestors as roots
        on
            depths.team_id = roots.team_id
            and depths.team_depth = roots.distance
    -- The ancestor `department_depth` levels below the root; a team shallower
    -- than that (the root itself, a cross-functional guild) is its own department.
    inner join ancestors as departments
        on
            depths.team_id = departments.team_id
            and departments.distance = case
                when depths.team_depth >= {{ department_depth }}
                    then depths.team_depth - {{ department_depth }}
                else 0
            end

)

select
    teams.team_id,
    teams.team_name,
    teams.parent_team_id,
    placed.team_depth,
    placed.root_team_id,
    roots.team_name as root_team_name,
    placed.department_team_id,
    departments.team_name as department_name,
    placed.department_team_id = teams.team_id as is_department
from teams
inner join placed
    on teams.team_id = placed.team_id
inner join teams as roots
    on placed.root_team_id = roots.team_id
inner join teams as departments
    on placed.department_team_id = departments.team_id
