{#- Which teams each user belonged to in each version of their history: one row
    per user version and team. The version's '|'-delimited team_ids string is
    matched against every known team id with dbt.position (portable, and immune
    to the LIKE wildcards '_' and '%' that ids may contain). -#}

with

versions as (

    select
        user_id,
        version_number,
        team_ids,
        valid_from,
        valid_to,
        attribution_from,
        attribution_to
    from {{ ref('int_users__versions') }}
    where team_ids is not null

),

known_teams as (

    -- teams that still exist, plus any a user still lists
    select team_id from {{ ref('stg_impraise__teams') }}
    union
    select team_id from {{ ref('stg_impraise__user_teams') }}

)

select
    {{ impraise_surrogate_key(
        ['versions.user_id', 'versions.version_number', 'known_teams.team_id']
    ) }}
        as team_membership_version_id,
    versions.user_id,
    known_teams.team_id,
    versions.version_number,
    versions.valid_from,
    versions.valid_to,
    versions.attribution_from,
    versions.attribution_to
from versions
inner join known_teams
    on {{ dbt.position(
        dbt.concat(["'|'", 'known_teams.team_id', "'|'"]),
        dbt.concat(["'|'", 'versions.team_ids', "'|'"])
    ) }} > 0
