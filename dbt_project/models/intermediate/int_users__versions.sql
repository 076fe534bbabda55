{#-
    The history of each user's tracked attributes, one row per version, built from
    users_snapshot:
      * snapshot rows whose tracked attributes did not change (the user's name or
        email changed, which also moves updated_at) are collapsed into one version
        (gaps-and-islands: a version starts where the attributes differ from the
        previous row, or where the previous row did not end exactly here);
      * valid_from is the record's own updated_at (the snapshot's dbt_valid_from
        under the timestamp strategy), so a change is dated when it happened;
      * attribution_from/to widen the first and last versions to the open past and
        future, for joining activity to the state in force at the time.
-#}

{#- a version starts where this changes -#}
{%- set attributes_hash = impraise_surrogate_key(
    ['job_title', 'manager_id', 'status', 'team_ids']
) -%}

with

snapshot_rows as (

    select
        user_id,
        job_title,
        manager_id,
        status,
        team_ids,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        case
            when
                lag({{ attributes_hash }}) over (
                    partition by user_id order by dbt_valid_from
                ) = {{ attributes_hash }}
                and lag(dbt_valid_to) over (
                    partition by user_id order by dbt_valid_from
                ) = dbt_valid_from
                then 0
            else 1
        end as starts_version
    from {{ ref('users_snapshot') }}

),

numbered as (

    select
        user_id,
        job_title,
        manager_id,
        status,
        team_ids,
        valid_from,
        valid_to,
        sum(starts_version) over (
            partition by user_id
            order by valid_from
            rows between unbounded preceding and current row
        ) as version_number
    from snapshot_rows

),

collapsed as (

    select
        user_id,
        version_number,
        job_title,
        manager_id,
        status,
        team_ids,
        min(valid_from) as valid_from,
        -- the version is current while its last snapshot row is open (null)
        case when count(valid_to) = count(*) then max(valid_to) end as valid_to,
        max(version_number) over (partition by user_id) as last_version_number
    from numbered
    group by
        user_id,
        version_number,
        job_title,
        manager_id,
        status,
        team_ids

)

select
    {{ impraise_surrogate_key(['user_id', 'version_number']) }} as user_version_id,
    user_id,
    version_number,
    job_title,
    manager_id,
    status,
    team_ids,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    -- Activity before the first recorded version is attributed to the earliest
    -- known state, and activity after a deletion to the last one.
    case when version_number > 1 then valid_from end as attribution_from,
    case when version_number < last_version_number then valid_to end as attribution_to
from collapsed
