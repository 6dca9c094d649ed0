"""The registry: every rule, in code order. A test proves it matches the modules on disk."""

from __future__ import annotations

from typing import Final

from layercheck.config.selection import Catalog
from layercheck.rules._base import Rule, Status
from layercheck.rules.alembic.broken_revision_graph import BrokenRevisionGraph
from layercheck.rules.alembic.downgrade_does_not_reverse import DowngradeDoesNotReverse
from layercheck.rules.alembic.empty_downgrade import EmptyDowngrade
from layercheck.rules.alembic.migration_imports_app import MigrationImportsApp
from layercheck.rules.alembic.missing_downgrade import MissingDowngrade
from layercheck.rules.alembic.not_null_column_without_default import NotNullColumnWithoutDefault
from layercheck.rules.alembic.undescriptive_migration_message import UndescriptiveMigrationMessage
from layercheck.rules.app_config.environ_outside_settings import EnvironOutsideSettings
from layercheck.rules.app_config.plaintext_password_column import PlaintextPasswordColumn
from layercheck.rules.http.banned_import_in_layer import BannedImportInLayer
from layercheck.rules.http.http_exception_in_repository import HttpExceptionInRepository
from layercheck.rules.http.http_exception_in_service import HttpExceptionInService
from layercheck.rules.http.http_response_outside_routes import HttpResponseOutsideRoutes
from layercheck.rules.http.http_status_outside_routes import HttpStatusOutsideRoutes
from layercheck.rules.http.request_outside_routes import RequestOutsideRoutes
from layercheck.rules.layering.route_imports_repository import RouteImportsRepository
from layercheck.rules.layering.route_queries_database import RouteQueriesDatabase
from layercheck.rules.layering.transitive_repository_access import TransitiveRepositoryAccess
from layercheck.rules.layering.upward_import import UpwardImport
from layercheck.rules.meta.syntax_error import SyntaxError_
from layercheck.rules.meta.unreadable_file import UnreadableFile
from layercheck.rules.meta.unused_allowed_import import UnusedAllowedImport
from layercheck.rules.meta.unused_noqa import UnusedNoqa
from layercheck.rules.pydantic.basesettings_from_pydantic import BasesettingsFromPydantic
from layercheck.rules.pydantic.class_config import ClassConfig
from layercheck.rules.pydantic.constrained_type_function import ConstrainedTypeFunction
from layercheck.rules.pydantic.custom_root_field import CustomRootField
from layercheck.rules.pydantic.from_orm import FromOrm
from layercheck.rules.pydantic.missing_from_attributes import MissingFromAttributes
from layercheck.rules.pydantic.optional_annotation import OptionalAnnotation
from layercheck.rules.pydantic.patch_without_exclude_unset import PatchWithoutExcludeUnset
from layercheck.rules.pydantic.required_field_in_patch_schema import RequiredFieldInPatchSchema
from layercheck.rules.pydantic.secret_in_response_schema import SecretInResponseSchema
from layercheck.rules.pydantic.server_field_in_request_schema import ServerFieldInRequestSchema
from layercheck.rules.pydantic.v1_field_argument import V1FieldArgument
from layercheck.rules.pydantic.v1_model_method import V1ModelMethod
from layercheck.rules.pydantic.v1_validator import V1Validator
from layercheck.rules.routes.bare_status_code import BareStatusCode
from layercheck.rules.routes.missing_response_model import MissingResponseModel
from layercheck.rules.routes.redundant_error_translation import RedundantErrorTranslation
from layercheck.rules.routes.route_opens_session import RouteOpensSession
from layercheck.rules.routes.unhandled_domain_exception import UnhandledDomainException
from layercheck.rules.sessions.add_in_loop import AddInLoop
from layercheck.rules.sessions.add_without_flush_refresh import AddWithoutFlushRefresh
from layercheck.rules.sessions.commit_outside_session_scope import CommitOutsideSessionScope
from layercheck.rules.sessions.expire_on_commit_enabled import ExpireOnCommitEnabled
from layercheck.rules.sessions.repository_raises_domain_error import RepositoryRaisesDomainError
from layercheck.rules.sessions.service_opens_session import ServiceOpensSession
from layercheck.rules.sessions.service_runs_queries import ServiceRunsQueries
from layercheck.rules.sessions.session_passed_to_background_task import (
    SessionPassedToBackgroundTask,
)
from layercheck.rules.sessions.session_shared_across_tasks import SessionSharedAcrossTasks
from layercheck.rules.sqlalchemy.backref_instead_of_back_populates import (
    BackrefInsteadOfBackPopulates,
)
from layercheck.rules.sqlalchemy.client_side_timestamp_default import ClientSideTimestampDefault
from layercheck.rules.sqlalchemy.column_instead_of_mapped_column import ColumnInsteadOfMappedColumn
from layercheck.rules.sqlalchemy.lazy_relationship_in_async import LazyRelationshipInAsync
from layercheck.rules.sqlalchemy.legacy_declarative_base import LegacyDeclarativeBase
from layercheck.rules.sqlalchemy.legacy_query_api import LegacyQueryApi
from layercheck.rules.sqlalchemy.missing_mapped_annotation import MissingMappedAnnotation
from layercheck.rules.sqlalchemy.missing_naming_convention import MissingNamingConvention
from layercheck.rules.sqlalchemy.missing_timestamps import MissingTimestamps
from layercheck.rules.sqlalchemy.python_operator_in_sql_expression import (
    PythonOperatorInSqlExpression,
)

ALL_RULES: Final[tuple[type[Rule], ...]] = (
    SyntaxError_,
    UnreadableFile,
    UnusedNoqa,
    UnusedAllowedImport,
    RouteImportsRepository,
    UpwardImport,
    RouteQueriesDatabase,
    TransitiveRepositoryAccess,
    HttpExceptionInService,
    HttpExceptionInRepository,
    HttpResponseOutsideRoutes,
    HttpStatusOutsideRoutes,
    RequestOutsideRoutes,
    BannedImportInLayer,
    BareStatusCode,
    MissingResponseModel,
    RouteOpensSession,
    RedundantErrorTranslation,
    UnhandledDomainException,
    ColumnInsteadOfMappedColumn,
    MissingMappedAnnotation,
    LazyRelationshipInAsync,
    ClientSideTimestampDefault,
    MissingTimestamps,
    LegacyDeclarativeBase,
    MissingNamingConvention,
    LegacyQueryApi,
    BackrefInsteadOfBackPopulates,
    PythonOperatorInSqlExpression,
    AddWithoutFlushRefresh,
    CommitOutsideSessionScope,
    ServiceRunsQueries,
    AddInLoop,
    SessionPassedToBackgroundTask,
    SessionSharedAcrossTasks,
    ExpireOnCommitEnabled,
    ServiceOpensSession,
    RepositoryRaisesDomainError,
    FromOrm,
    V1ModelMethod,
    ClassConfig,
    OptionalAnnotation,
    V1Validator,
    V1FieldArgument,
    MissingFromAttributes,
    ServerFieldInRequestSchema,
    RequiredFieldInPatchSchema,
    PatchWithoutExcludeUnset,
    SecretInResponseSchema,
    BasesettingsFromPydantic,
    CustomRootField,
    ConstrainedTypeFunction,
    MissingDowngrade,
    EmptyDowngrade,
    DowngradeDoesNotReverse,
    UndescriptiveMigrationMessage,
    BrokenRevisionGraph,
    MigrationImportsApp,
    NotNullColumnWithoutDefault,
    EnvironOutsideSettings,
    PlaintextPasswordColumn,
)
# Reported by the engine itself: before any tree exists (LC001, LC002), or where noqa
# comments are matched to findings (LC003).
ENGINE_CODES: Final = frozenset({"LC001", "LC002", "LC003"})

BY_CODE: Final[dict[str, type[Rule]]] = {rule.meta.code: rule for rule in ALL_RULES}
BY_NAME: Final[dict[str, type[Rule]]] = {rule.meta.name: rule for rule in ALL_RULES}
CATALOG: Final = Catalog(
    codes=tuple(rule.meta.code for rule in ALL_RULES),
    preview=frozenset(r.meta.code for r in ALL_RULES if r.meta.status is Status.PREVIEW),
)


def lookup(code_or_name: str) -> type[Rule] | None:
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
